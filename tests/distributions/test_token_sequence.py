import pytest
import torch

from pyrovae.distributions import TokenSequence


def test_log_prob_is_masked_sum_of_categorical_log_probs():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 7)
    lengths = torch.tensor([5, 2, 1])
    value = torch.randint(0, 7, (3, 5))
    expected = torch.stack(
        [
            torch.distributions.Categorical(logits=logits[b, : lengths[b]]).log_prob(value[b, : lengths[b]]).sum()
            for b in range(3)
        ]
    )
    assert torch.allclose(TokenSequence(logits, lengths).log_prob(value), expected, atol=1e-6)


def test_log_prob_is_float32_under_half_precision_logits():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 6)
    lengths = torch.tensor([4, 3])
    value = torch.randint(0, 6, (2, 4))
    half = TokenSequence(logits.bfloat16(), lengths).log_prob(value)
    assert half.dtype == torch.float32
    reference = TokenSequence(logits.bfloat16().float(), lengths).log_prob(value)
    assert torch.equal(half, reference)


def test_broadcasts_over_sample_dimensions_and_expands():
    torch.manual_seed(0)
    logits = torch.randn(4, 2, 3, 5)  # [K, B, T, V]
    lengths = torch.tensor([3, 1])
    value = torch.randint(0, 5, (2, 3))
    d = TokenSequence(logits, lengths)
    assert d.batch_shape == (4, 2) and d.event_shape == (3,)
    lp = d.log_prob(value)
    assert lp.shape == (4, 2)
    assert torch.allclose(lp[1], TokenSequence(logits[1], lengths).log_prob(value))
    assert TokenSequence(logits[0], lengths).expand([6, 2]).log_prob(value).shape == (6, 2)


def test_samples_are_padded_after_length():
    d = TokenSequence(torch.zeros(2, 4, 3), torch.tensor([2, 4]), pad_id=9)
    x = d.sample(torch.Size([5]))
    assert x.shape == (5, 2, 4)
    assert (x[:, 0, 2:] == 9).all() and (x[:, :, :2] < 3).all()


def test_rejects_logits_without_vocabulary_dimension():
    with pytest.raises(ValueError, match=r"\[\.\.\., T, V\]"):
        TokenSequence(torch.zeros(3), torch.tensor(3))
