"""Small model/guide pairs whose diagnostics have known answers."""

from __future__ import annotations

from typing import Callable

import pyro
import pyro.distributions as dist
import torch
import torch.nn.functional as F
from torch import nn

from pyrovae.distributions import TokenSequence
from pyrovae.text.batch import TokenBatch


class GivenPosteriors(nn.Module):
    """An "encoder" whose ``q(z | x_n)`` is chosen by the test: data points are indices ``n``.

    ``guide(index)`` samples ``z ~ posterior_of(index)`` in a plate; ``prior()`` returns ``prior``.
    """

    def __init__(self, posterior_of: Callable[[torch.Tensor], dist.Distribution], prior: dist.Distribution) -> None:
        super().__init__()
        self.posterior_of, self._prior = posterior_of, prior

    def prior(self) -> dist.Distribution:
        return self._prior

    def guide(self, index: torch.Tensor) -> None:
        with pyro.plate("points", index.shape[0]):
            pyro.sample("z", self.posterior_of(index))


def standard_normal(dim: int) -> dist.Distribution:
    return dist.Normal(torch.zeros(dim), torch.ones(dim)).to_event(1)


class FirstWordCode(nn.Module):
    """A text model with a code that names the sentence's first word.

    Guide: ``q(z | x) = N(scale * onehot(x_1), sigma^2 I)`` over ``R^V``. Model: ``z ~ N(0, I_V)`` and
    every position's next-token logits are ``gain * z``, whatever the context. Given its own code the
    decoder's mode is the first word at every position; given a prior code the mode is uniform over
    the vocabulary.
    """

    def __init__(self, vocab_size: int, scale: float = 10.0, sigma: float = 0.01, gain: float = 1.0) -> None:
        super().__init__()
        self.vocab_size, self.scale, self.sigma, self.gain = vocab_size, scale, sigma, gain

    def prior(self) -> dist.Distribution:
        return standard_normal(self.vocab_size)

    def guide(self, batch: TokenBatch) -> None:
        loc = self.scale * F.one_hot(batch.targets[:, 0], self.vocab_size).float()
        with pyro.plate("sentences", batch.size):
            pyro.sample("z", dist.Normal(loc, self.sigma).to_event(1))

    def model(self, batch: TokenBatch) -> None:
        with pyro.plate("sentences", batch.size):
            z = pyro.sample("z", self.prior())
            logits = (self.gain * z).unsqueeze(-2).expand(batch.size, batch.targets.shape[1], self.vocab_size)
            pyro.sample("tokens", TokenSequence(logits, batch.lengths, pad_id=batch.pad_id), obs=batch.targets)
