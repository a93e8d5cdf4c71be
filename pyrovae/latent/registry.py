"""The posteriors and priors the command line knows by name (``--set posterior=iaf prior=mog``).

A posterior class registers itself where it is defined (``@POSTERIORS.register("iaf")``) and takes
``(context_dim, latent_dim, **options)``; a prior class takes ``(latent_dim, **options)``. The
dimensions are fixed by the model file; the keyword options are ``--set posterior.KEY=VALUE`` and
``--set prior.KEY=VALUE`` (:func:`positive_int` checks the counts among them). Model files receive *factories*, callables that build the module once
the dimensions are known (:data:`PosteriorFactory`, :data:`PriorFactory`; a class is one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from pyrovae.errors import ConfigError
from pyrovae.registry import Registry

if TYPE_CHECKING:
    from pyrovae.latent.posterior import Posterior
    from pyrovae.latent.prior import Prior

#: ``(context_dim, latent_dim) -> Posterior``, e.g. ``DiagonalNormal`` or ``partial(InverseAutoregressiveFlow, steps=4)``.
PosteriorFactory = Callable[[int, int], "Posterior"]

#: ``(latent_dim) -> Prior``, e.g. ``StandardNormal`` or ``partial(MixtureOfGaussians, components=10)``.
PriorFactory = Callable[[int], "Prior"]

POSTERIORS: Registry["Posterior"] = Registry("posterior")
PRIORS: Registry["Prior"] = Registry("prior")


def positive_int(value: Any, what: str) -> int:
    """``value`` if it is a positive integer (a count option such as ``steps``), else a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what} must be a positive integer, got {value!r}")
    return value
