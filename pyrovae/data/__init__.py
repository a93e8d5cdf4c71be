"""Text data: reading sentences (local files, hub datasets), encoded datasets, and the
length-bucketed batch iterables of training and evaluation. How text becomes ids is
:mod:`pyrovae.text`."""

from pyrovae.data.batching import (
    BucketBatchSampler,
    EpochBatches,
    FixedBatches,
    make_loader,
)
from pyrovae.data.dataset import SentenceDataset
from pyrovae.data.text import Splits, default_corpus, load_splits, read_text_file

__all__ = [
    "BucketBatchSampler",
    "EpochBatches",
    "FixedBatches",
    "SentenceDataset",
    "Splits",
    "default_corpus",
    "load_splits",
    "make_loader",
    "read_text_file",
]
