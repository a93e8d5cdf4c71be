"""Amortised posteriors: modules mapping an encoder context ``h`` to a distribution over ``z``."""

from __future__ import annotations

import contextlib
from abc import ABCMeta, abstractmethod
from typing import Callable, Iterator

import torch
from pyro.distributions import Distribution, TransformedDistribution
from pyro.distributions.transforms import Transform
from torch import nn

from pyrovae.registry import Registry

#: Device types whose autocast is switched off while a flow's transforms run.
_AUTOCAST_DEVICES = ("cpu", "cuda")


@contextlib.contextmanager
def full_precision() -> Iterator[None]:
    """Switch off every active autocast (CPU and GPU), so what runs inside stays float32."""
    with contextlib.ExitStack() as stack:
        for device_type in _AUTOCAST_DEVICES:
            if torch.is_autocast_enabled(device_type):
                stack.enter_context(torch.autocast(device_type, enabled=False))
        yield


def at_least_float32(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in float32 if autocast left it in half precision (float64 stays float64); a
    context that is not a tensor (per-token :class:`~pyrovae.nn.TokenStates`) is left as it is."""
    if not torch.is_tensor(tensor):
        return tensor
    return tensor.float() if torch.finfo(tensor.dtype).bits < 32 else tensor


class Float32TransformedDistribution(TransformedDistribution):
    """A :class:`~pyro.distributions.TransformedDistribution` whose transforms run in float32.

    Under autocast a flow's networks (MADE, hypernetworks) would otherwise run in half precision
    and round the log-determinants that enter the rate. Sampling and scoring run with autocast
    off; the base distribution and the context must be float32 (as :class:`Posterior` makes them).
    """

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        with full_precision():
            return super().rsample(sample_shape)

    def sample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:
        with full_precision():
            return super().sample(sample_shape)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        with full_precision():
            return super().log_prob(value)


class Posterior(nn.Module, metaclass=ABCMeta):
    """Template for ``q(z | x) = T_h # base(h)``: a base distribution pushed through transforms.

    Subclasses implement :meth:`get_base_dist` and, for flows, :meth:`get_transforms` (the way
    Pyro's ``AutoContinuous`` guides split ``get_base_dist``/``get_transform``). The returned
    distribution has ``event_shape = (latent_dim,)`` and batch shape ``h.shape[:-1]``, and is
    computed in float32 even under autocast, so rates are never rounded to half precision: the
    context reaches :meth:`get_transforms` as float32 and the transforms run with autocast off.

    Constructors take ``(context_dim, latent_dim, **options)``; the keyword options are what
    ``--set posterior.KEY=VALUE`` sets for a registered posterior (:data:`POSTERIORS`).
    """

    #: constructor arguments fixed by the model (not options of ``--set posterior.KEY=...``).
    fixed_options = ("context_dim", "latent_dim")

    #: whether ``log_prob`` can score points the distribution did not draw itself
    #: (False for flows without an inverse, such as planar flows).
    scores_any_point: bool = True

    def __init__(self, context_dim: int, latent_dim: int) -> None:
        super().__init__()
        self.context_dim = context_dim
        self.latent_dim = latent_dim

    @abstractmethod
    def get_base_dist(self, context: torch.Tensor) -> Distribution:
        """The base distribution, batch shape ``context.shape[:-1]``, event ``(latent_dim,)``."""

    def get_transforms(self, context: torch.Tensor) -> list[Transform]:
        """Transforms applied after the base distribution (none: the base is the posterior)."""
        return []

    def forward(self, context: torch.Tensor) -> Distribution:
        base = self.get_base_dist(context)
        with full_precision():
            transforms = self.get_transforms(at_least_float32(context))
        return Float32TransformedDistribution(base, transforms) if transforms else base


#: The posteriors the command line knows by name (``--set posterior=iaf``): a class registers
#: itself where it is defined (``@POSTERIORS.register("iaf")``) and takes
#: ``(context_dim, latent_dim, **options)``; the options are ``--set posterior.KEY=VALUE``.
POSTERIORS: Registry[Posterior] = Registry("posterior")

#: ``(context_dim, latent_dim) -> Posterior``, e.g. ``DiagonalNormal`` or ``partial(InverseAutoregressiveFlow, steps=4)``:
#: what a model file's ``build`` receives, to make the posterior once the dimensions are known.
PosteriorFactory = Callable[[int, int], Posterior]
