"""Text data: vocabulary, sentence loading, datasets and length-bucketed batches."""

from pyrovae.data.batch import TokenBatch
from pyrovae.data.batching import BucketBatchSampler, collate, make_loader
from pyrovae.data.dataset import SentenceDataset
from pyrovae.data.text import Splits, default_corpus, load_splits, read_text_file
from pyrovae.data.vocabulary import Vocabulary

__all__ = [
    "BucketBatchSampler",
    "SentenceDataset",
    "Splits",
    "TokenBatch",
    "Vocabulary",
    "collate",
    "default_corpus",
    "load_splits",
    "make_loader",
    "read_text_file",
]
