"""Grouping sentences of similar length into :class:`~pyrovae.text.TokenBatch` es, per epoch and per
DDP replica: the batch iterables the trainer and the evaluation commands consume.

Padding is the codec's (:meth:`pyrovae.text.TextCodec.collate`); here sentences are chosen and
ordered: :class:`BucketBatchSampler` (which indices form each batch), :func:`make_loader` (one
pass over a dataset), :class:`EpochBatches` (the training batches of any epoch, resumable
mid-epoch) and :class:`FixedBatches` (an evaluation set in the same order every pass).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from pyrovae.data.dataset import SentenceDataset
from pyrovae.errors import ConfigError, DataError
from pyrovae.text.batch import TokenBatch
from pyrovae.text.codec import EncodedSentence, TextCodec

POOL_BATCHES = 50
"""Sentences are sorted by length within pools of ``batch_size * POOL_BATCHES``."""


class _Positions:
    """A stand-in dataset of ``n`` items for :class:`DistributedSampler` (it only asks ``len``)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of dataset indices whose sentences have similar lengths, sharded for DDP.

    Each epoch: :class:`~torch.utils.data.DistributedSampler` picks this replica's indices (the
    same indices it would give, padded by repetition or cut with ``drop_last`` so that every
    replica gets as many); those are cut into pools of ``batch_size * 50`` in the sampler's
    (shuffled) order, each pool is sorted by length, cut into batches of ``batch_size`` (the last
    one of the epoch may be smaller), and the order of the batches is shuffled by a generator
    seeded from ``(seed, epoch)``. Every replica therefore gets the same number of batches, and
    the batches of an epoch are a function of ``(seed, epoch, num_replicas, rank)`` only.

    :param lengths: each dataset item's length (e.g. :attr:`SentenceDataset.lengths`).
    :param batch_size: sentences per batch on this replica.
    :param shuffle: shuffle the sentences and the batch order; if false the order is fixed
        (still length-sorted within pools).
    :param seed: random seed shared by all replicas.
    :param num_replicas: number of data-parallel processes (1 when not distributed).
    :param rank: this process's rank in ``[0, num_replicas)``.
    :param drop_last: drop the tail of the data so it splits evenly over replicas, instead of
        repeating a few sentences.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        drop_last: bool = False,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ConfigError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ConfigError(f"rank must be in [0, {num_replicas}), got {rank!r}")
        if len(lengths) == 0:
            raise DataError("cannot batch an empty dataset: pass at least one sentence")
        if drop_last and len(lengths) < num_replicas:
            raise DataError(
                f"{len(lengths)} sentences cannot be split over {num_replicas} replicas with "
                "drop_last: pass more data, fewer replicas, or drop_last=False"
            )
        self.lengths = torch.as_tensor(list(lengths), dtype=torch.long)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = int(seed)
        self.num_replicas = num_replicas
        self.rank = rank
        self.drop_last = drop_last
        self.epoch = 0
        self._sampler = DistributedSampler(
            _Positions(len(self.lengths)),  # type: ignore[arg-type]
            num_replicas=num_replicas,
            rank=rank,
            shuffle=shuffle,
            seed=self.seed,
            drop_last=drop_last,
        )

    @property
    def num_samples(self) -> int:
        """Sentences this replica sees per epoch (padding repeats included)."""
        return self._sampler.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch that :meth:`__iter__` yields (call before each epoch)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches(self.epoch))

    def batches(self, epoch: int) -> list[list[int]]:
        """This replica's batches of dataset indices for ``epoch``, in the order they are used.

        Resuming mid-epoch: ``batches(epoch)[k:]`` are the batches after the first ``k``.
        """
        self._sampler.set_epoch(int(epoch))
        indices = torch.tensor(list(self._sampler), dtype=torch.long)
        pool = self.batch_size * POOL_BATCHES
        batches: list[list[int]] = []
        for start in range(0, len(indices), pool):
            chunk = indices[start : start + pool]
            order = torch.sort(self.lengths[chunk], stable=True).indices
            chunk = chunk[order].tolist()
            step = self.batch_size
            batches.extend(chunk[i : i + step] for i in range(0, len(chunk), step))
        if self.shuffle:
            generator = torch.Generator().manual_seed(_mix(self.seed, int(epoch)))
            order = torch.randperm(len(batches), generator=generator).tolist()
            batches = [batches[i] for i in order]
        return batches


def _mix(seed: int, epoch: int) -> int:
    """A seed for the batch order, distinct from ``seed + epoch`` used by DistributedSampler."""
    return (seed * 6364136223846793005 + epoch * 1442695040888963407 + 1) % (2**63)


class _Indexed(Dataset):
    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> tuple[int, EncodedSentence]:
        return i, self.dataset[i]


class _Collate:
    """Picklable collate function (for ``num_workers > 0``)."""

    def __init__(self, codec: TextCodec) -> None:
        self.codec = codec

    def __call__(self, items: list[tuple[int, EncodedSentence]]) -> TokenBatch:
        return self.codec.collate([item for _, item in items], index=[i for i, _ in items])


def make_loader(
    dataset: SentenceDataset,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    epoch: int = 0,
    num_replicas: int = 1,
    rank: int = 0,
    skip_batches: int = 0,
    drop_last: bool = False,
    num_workers: int = 0,
) -> Iterable[TokenBatch]:
    """A loader of length-bucketed :class:`TokenBatch` es for one epoch.

    The batches are those of :meth:`BucketBatchSampler.batches` for ``epoch`` with the first
    ``skip_batches`` left out (to resume mid-epoch); each batch's ``index`` holds its sentences'
    dataset indices. Build a new loader for each epoch.

    :param dataset: the encoded sentences (a :class:`SentenceDataset`: its ``lengths`` order the
        batches, its ``codec`` pads them).
    :returns: a :class:`~torch.utils.data.DataLoader`; ``len()`` is the number of batches left.
    :raises ConfigError: if ``skip_batches`` is negative or more than the epoch's batches.
    """
    lengths, codec = getattr(dataset, "lengths", None), getattr(dataset, "codec", None)
    if lengths is None or codec is None:
        raise ConfigError(
            f"make_loader needs a dataset with `lengths` and `codec` attributes (a SentenceDataset), got "
            f"{type(dataset).__name__}"
        )
    sampler = BucketBatchSampler(
        lengths,
        batch_size,
        shuffle=shuffle,
        seed=seed,
        num_replicas=num_replicas,
        rank=rank,
        drop_last=drop_last,
    )
    total = len(sampler)
    if not isinstance(skip_batches, int) or isinstance(skip_batches, bool) or not (
        0 <= skip_batches <= total
    ):
        raise ConfigError(
            f"skip_batches must be an integer in [0, {total}] (batches in this epoch), got "
            f"{skip_batches!r}"
        )
    batches = sampler.batches(epoch)[skip_batches:]
    # A DataLoader draws its workers' base seed when iterated; from its own generator, that draw
    # leaves the global torch RNG alone, so a resumed run's random stream matches an unbroken one.
    generator = torch.Generator().manual_seed(_mix(seed, epoch))
    return DataLoader(
        _Indexed(dataset),
        batch_sampler=batches,
        collate_fn=_Collate(codec),
        num_workers=num_workers,
        generator=generator,
    )


class EpochBatches:
    """The training batches of every epoch: length-bucketed, shuffled per epoch, sharded for DDP.

    What :class:`~pyrovae.train.Trainer` iterates. The batches of an epoch are a function of
    ``(seed, epoch, num_replicas, rank)`` only (:class:`BucketBatchSampler`), so a run resumed
    mid-epoch continues with exactly the batches an unbroken run would have used.

    :param dataset: the training sentences.
    :param batch_size: sentences per batch on this replica.
    :param seed: the shuffling seed shared by all replicas.
    :param num_replicas, rank: the data-parallel layout (1 and 0 when not distributed).
    """

    def __init__(
        self, dataset: SentenceDataset, batch_size: int, seed: int = 0, num_replicas: int = 1, rank: int = 0
    ) -> None:
        self.dataset, self.batch_size, self.seed = dataset, batch_size, int(seed)
        self.num_replicas, self.rank = num_replicas, rank
        self._per_epoch = len(
            BucketBatchSampler(dataset.lengths, batch_size, seed=self.seed, num_replicas=num_replicas, rank=rank)
        )

    def __len__(self) -> int:
        """Batches per epoch on this replica."""
        return self._per_epoch

    def epoch(self, epoch: int, skip: int = 0) -> Iterable[TokenBatch]:
        """The batches of ``epoch`` after the first ``skip`` (see :func:`make_loader`)."""
        return make_loader(
            self.dataset, self.batch_size, shuffle=True, seed=self.seed, epoch=epoch,
            num_replicas=self.num_replicas, rank=self.rank, skip_batches=skip,
        )

    def reseeded(self, seed: int) -> "EpochBatches":
        """The same sentences and layout shuffled with another seed (an independent stream of batches)."""
        return EpochBatches(self.dataset, self.batch_size, seed, self.num_replicas, self.rank)


class FixedBatches:
    """An evaluation set as length-bucketed batches in the same order on every pass.

    Iterating it again starts a new pass, so estimators that pass over the data several times (and
    :func:`pyrovae.metrics.evaluate`) can take it directly.

    :param dataset: the sentences.
    :param batch_size: sentences per batch.
    """

    def __init__(self, dataset: SentenceDataset, batch_size: int) -> None:
        self.dataset, self.batch_size = dataset, batch_size

    def __iter__(self) -> Iterator[TokenBatch]:
        return iter(make_loader(self.dataset, self.batch_size, shuffle=False))

    def __len__(self) -> int:
        return len(BucketBatchSampler(self.dataset.lengths, self.batch_size, shuffle=False))

    @property
    def num_sentences(self) -> int:
        return len(self.dataset)

    @property
    def codec(self) -> TextCodec:
        """The codec that encoded the sentences (its ``token_unit`` names the per-token figures)."""
        return self.dataset.codec

    def first(self, count: int) -> list[TokenBatch]:
        """Batches holding the first ``count`` sentences of the dataset (in dataset order)."""
        count = min(count, len(self.dataset))
        codec = self.dataset.codec
        return [
            codec.collate([self.dataset[i] for i in range(start, min(start + self.batch_size, count))])
            for start in range(0, count, self.batch_size)
        ]
