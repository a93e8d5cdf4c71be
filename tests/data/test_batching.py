"""Tests of SentenceDataset, BucketBatchSampler, make_loader, EpochBatches and FixedBatches."""

from __future__ import annotations

import pytest
from torch.utils.data import DistributedSampler

from pyrovae.data import (
    BucketBatchSampler,
    EpochBatches,
    FixedBatches,
    SentenceDataset,
    default_corpus,
    make_loader,
    read_text_file,
)
from pyrovae.data.batching import POOL_BATCHES
from pyrovae.errors import ConfigError, DataError
from pyrovae.text import Vocabulary


@pytest.fixture(scope="module")
def austen():
    sentences = read_text_file(default_corpus()["train"])
    vocab = Vocabulary.build(sentences, max_size=2000)
    return SentenceDataset(sentences, vocab, max_length=40), vocab


def flat(batches):
    return [i for b in batches for i in b]


def test_dataset_drops_long_and_empty_sentences():
    vocab = Vocabulary.build(["a b c d e"])
    data = SentenceDataset(["a b", "", "a b c d", "zz", ["c", "d", "e"]], vocab, max_length=3)
    assert len(data) == 3 and data.num_dropped_long == 1 and data.num_dropped_empty == 1
    assert list(data[0].ids) == vocab.encode("a b") and list(data[1].ids) == [vocab.unk_id]
    assert [item.words for item in data] == [2, 1, 3] and data.num_words == 9
    assert data.lengths == [3, 2, 4] and data.source_index == [0, 3, 4]
    assert data.num_tokens == 9
    with pytest.raises(ConfigError, match="max_length"):
        SentenceDataset(["a"], vocab, max_length=0)
    with pytest.raises(DataError, match="raise max_length"):
        SentenceDataset(["a b c d"], vocab, max_length=2)


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_index_once_per_epoch(austen, shuffle):
    data, _ = austen
    sampler = BucketBatchSampler(data.lengths, batch_size=32, shuffle=shuffle, seed=3)
    for epoch in (0, 1):
        batches = sampler.batches(epoch)
        assert sorted(flat(batches)) == list(range(len(data)))
        assert len(batches) == len(sampler) == -(-len(data) // 32)
        assert all(len(b) == 32 for b in sorted(batches, key=len)[1:])


def test_lengths_sorted_within_pools(austen):
    data, _ = austen
    lengths, bs, seed, epoch = data.lengths, 8, 1, 2
    batches = BucketBatchSampler(lengths, bs, shuffle=True, seed=seed).batches(epoch)
    order = DistributedSampler(range(len(lengths)), num_replicas=1, rank=0, shuffle=True, seed=seed)
    order.set_epoch(epoch)
    order = list(order)
    pool_size = bs * POOL_BATCHES
    pool_of = {i: p // pool_size for p, i in enumerate(order)}
    spans = {}
    for b in batches:
        pools = {pool_of[i] for i in b}
        assert len(pools) == 1  # a batch never mixes pools
        ls = [lengths[i] for i in b]
        assert ls == sorted(ls)
        spans.setdefault(pools.pop(), []).append((min(ls), max(ls)))
    for pool_spans in spans.values():  # batches of a pool are consecutive length ranges
        pool_spans.sort()
        assert all(hi <= lo for (_, hi), (lo, _) in zip(pool_spans, pool_spans[1:]))
    assert len(spans) == -(-len(lengths) // pool_size)


def test_unshuffled_order_is_sorted_pools(austen):
    data, _ = austen
    bs = 4
    batches = BucketBatchSampler(data.lengths, bs, shuffle=False).batches(0)
    pool = bs * POOL_BATCHES
    indices = flat(batches)
    for start in range(0, len(indices), pool):
        chunk = indices[start : start + pool]
        assert sorted(chunk) == list(range(start, min(start + pool, len(data))))
        assert [data.lengths[i] for i in chunk] == sorted(data.lengths[i] for i in chunk)


@pytest.mark.parametrize("drop_last", [False, True])
def test_two_replicas_partition_the_data(drop_last):
    lengths = [(i * 7) % 23 + 1 for i in range(1001)]
    samplers = [
        BucketBatchSampler(lengths, 16, seed=5, num_replicas=2, rank=r, drop_last=drop_last)
        for r in (0, 1)
    ]
    for epoch in (0, 3):
        b0, b1 = (s.batches(epoch) for s in samplers)
        assert len(b0) == len(b1) == len(samplers[0]) == len(samplers[1])
        i0, i1 = flat(b0), flat(b1)
        assert len(i0) == len(i1) == samplers[0].num_samples
        if drop_last:
            assert len(i0) == 500 and not set(i0) & set(i1)
            assert len(set(i0) | set(i1)) == 1000
        else:
            assert len(i0) == 501 and set(i0) | set(i1) == set(range(1001))
            assert len(i0) + len(i1) - len(set(i0) | set(i1)) == 1  # one repeat pads rank 1


def test_deterministic_per_seed_and_epoch(austen):
    data, _ = austen
    sampler = BucketBatchSampler(data.lengths, 16, seed=11)
    again = BucketBatchSampler(data.lengths, 16, seed=11)
    assert sampler.batches(4) == again.batches(4)
    assert sampler.batches(4) != sampler.batches(5)
    assert sampler.batches(4) != BucketBatchSampler(data.lengths, 16, seed=12).batches(4)
    sampler.set_epoch(5)
    assert list(sampler) == again.batches(5)


def test_sampler_rejects_bad_arguments():
    with pytest.raises(ConfigError, match="batch_size"):
        BucketBatchSampler([1, 2], 0)
    with pytest.raises(ConfigError, match="rank"):
        BucketBatchSampler([1, 2], 1, num_replicas=2, rank=2)
    with pytest.raises(DataError, match="empty"):
        BucketBatchSampler([], 1)


def test_make_loader_batches_and_skip(austen):
    data, vocab = austen
    kwargs = dict(batch_size=64, shuffle=True, seed=2, epoch=1)
    expected = BucketBatchSampler(data.lengths, 64, seed=2).batches(1)
    loader = make_loader(data, **kwargs)
    batches = list(loader)
    assert len(loader) == len(batches) == len(expected)
    assert [b.index.tolist() for b in batches] == expected
    first = batches[0]
    for row, i in enumerate(first.index.tolist()):
        n = len(data[i].ids)
        assert first.tokens[row, 1 : n + 1].tolist() == list(data[i].ids)
        assert first.lengths[row] == n + 1 == data.lengths[i]
    skipped = list(make_loader(data, skip_batches=5, **kwargs))
    assert [b.index.tolist() for b in skipped] == expected[5:]
    assert len(make_loader(data, skip_batches=len(expected), **kwargs)) == 0
    with pytest.raises(ConfigError, match="skip_batches"):
        make_loader(data, skip_batches=len(expected) + 1, **kwargs)


def test_make_loader_with_replicas(austen):
    data, vocab = austen
    loaders = [make_loader(data, 50, True, 0, 0, num_replicas=2, rank=r) for r in (0, 1)]
    seen = [flat(b.index.tolist() for b in loader) for loader in loaders]
    assert len(loaders[0]) == len(loaders[1])
    assert set(seen[0]) | set(seen[1]) == set(range(len(data)))


def test_epoch_batches_are_the_loader_of_each_epoch(austen):
    data, _ = austen
    epochs = EpochBatches(data, 64, seed=2)
    expected = BucketBatchSampler(data.lengths, 64, seed=2).batches(3)
    assert len(epochs) == len(expected)
    assert [b.index.tolist() for b in epochs.epoch(3, skip=4)] == expected[4:]
    other = epochs.reseeded(9)
    assert [b.index.tolist() for b in other.epoch(3)] == BucketBatchSampler(data.lengths, 64, seed=9).batches(3)


def test_fixed_batches_repeat_the_same_pass(austen):
    data, _ = austen
    fixed = FixedBatches(data, 100)
    first, second = [b.index.tolist() for b in fixed], [b.index.tolist() for b in fixed]
    assert first == second and len(fixed) == len(first) and sorted(flat(first)) == list(range(len(data)))
    head = fixed.first(150)
    assert [b.size for b in head] == [100, 50] and all(b.index is None for b in head)
    assert head[0].tokens[0, 1 : len(data[0].ids) + 1].tolist() == list(data[0].ids)
