r"""The one module that talks to ArviZ: SVI posteriors as ``InferenceData``, LOO, comparison, summary.

ArviZ 0.2x's ``from_pyro`` reads MCMC runs only, so the draws of the fitted guide go through
``az.from_dict`` as a single chain of ``S`` independent draws (``kind="stats"`` summaries: R-hat
and ESS describe Markov chains and say nothing about independent draws from a variational
posterior). Groups of the ``InferenceData``:

* ``posterior``: ``weights`` (dims ``group, component``, plus ``dim`` in the univariate model;
  tied groups carry the weights they share), ``loc`` and ``scale`` (``component, dim``), the
  family's shape parameters (``component`` [, ``dim``]), and any derived per-group quantity passed
  in (e.g. ``marginal_kl``, dims ``group``);
* ``log_likelihood``: ``z`` (dims ``observation``), :math:`\log q^{(s)}_{g_n}(z_n)` with the
  component summed out (:meth:`~pyrovae.analysis.posterior.MixedMembershipPosterior.log_likelihood`),
  what ``az.loo`` and ``az.compare`` need;
* ``observed_data``: ``z`` (``observation, dim``); ``constant_data``: ``group`` (``observation``).

Importing ArviZ is slow (about 2 s), so it happens inside these functions. A port to ArviZ 1.x
(``DataTree``) changes this file only.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch

from pyrovae.analysis.mixed_membership import LOC, SCALE
from pyrovae.analysis.posterior import MixedMembershipPosterior
from pyrovae.errors import ConfigError


def require_arviz():
    """Import ArviZ, or raise a :class:`ConfigError` saying how to install it."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # 0.2x announces its 1.x refactor
            import arviz
    except ImportError:
        raise ConfigError("ArviZ is not installed: pip install 'pyrovae[analysis]' (arviz >= 0.17)") from None
    return arviz


def to_inference_data(
    posterior: MixedMembershipPosterior,
    z: torch.Tensor,
    group: torch.Tensor,
    group_names: Sequence[str],
    derived: Mapping[str, torch.Tensor] | None = None,
    attrs: Mapping[str, Any] | None = None,
    log_likelihood: torch.Tensor | None = None,
):
    """Convert parameter draws and the data they explain to ``arviz.InferenceData``.

    Args:
        posterior: the draws.
        z, group: the observations ``[N, D]`` and their group indices ``[N]``.
        group_names: one name per group (coordinates of ``group``).
        derived: extra posterior quantities ``[S, G]`` per group (e.g. ``marginal_kl``).
        attrs: attributes stored with the data (e.g. the fit's settings).
        log_likelihood: ``[S, N]`` pointwise log-likelihood when already computed
            (:meth:`~pyrovae.analysis.posterior.MixedMembershipPosterior.log_likelihood`).
    """
    az = require_arviz()
    model = posterior.model
    if len(group_names) != model.num_groups:
        raise ConfigError(f"need {model.num_groups} group names, got {len(group_names)}")
    S, K, D = posterior.num_draws, model.num_components, model.latent_dim
    univariate = model.univariate
    per_dim = ("dim",) if univariate else ()

    def chain(value: torch.Tensor):
        return value.detach().double().numpy()[None]

    weights = posterior.group_weights()  # [S, G, P, K]
    variables = {"weights": chain(weights if univariate else weights[:, :, 0])}
    dims = {"weights": ["group", *per_dim, "component"]}
    for name in (LOC, SCALE):
        variables[name] = chain(posterior.draws[name].reshape(S, K, D))
        dims[name] = ["component", "dim"]
    for name in model.family.shape_names:
        value = posterior.draws[name]  # [S, K, P]
        variables[name] = chain(value if univariate else value[..., 0])
        dims[name] = ["component", *per_dim]
    for name, value in (derived or {}).items():
        if tuple(value.shape) != (S, model.num_groups):
            raise ConfigError(f"derived quantity {name!r} must be [draws, groups] = [{S}, {model.num_groups}], got {tuple(value.shape)}")
        variables[name] = chain(value)
        dims[name] = ["group"]
    coords = {
        "group": list(group_names),
        "component": list(range(K)),
        "dim": list(range(D)),
        "observation": list(range(z.shape[0])),
    }
    return az.from_dict(
        posterior=variables,
        log_likelihood={"z": chain(posterior.log_likelihood(z, group) if log_likelihood is None else log_likelihood)},
        observed_data={"z": z.detach().double().numpy()},
        constant_data={"group": group.numpy()},
        coords=coords,
        dims={**dims, "z": ["observation", "dim"], "group": ["observation"]},
        attrs={"inference_library": "pyro", "inference": "SVI, mean-field guide", **(attrs or {})},
    )


def quietly(function, *args, **kwargs):
    """Call an ArviZ function without the deprecation notices its dependencies (pandas,
    matplotlib) raise inside it; they concern ArviZ's code, not the caller's."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return function(*args, **kwargs)


def loo(idata):
    """PSIS-LOO (Vehtari et al. 2017, arXiv:1507.04544) of the pointwise log-likelihood."""
    return quietly(require_arviz().loo, idata, pointwise=True)


def compare(models: Mapping[str, Any]):
    """``az.compare`` on LOO: a table ranked by ``elpd_loo`` with ``elpd_diff``, its standard
    error ``dse`` and stacking weights."""
    return quietly(require_arviz().compare, dict(models), ic="loo")


def summary(idata, var_names: Sequence[str] | None = None, prob: float = 0.95):
    """``az.summary`` (``kind="stats"``: mean, sd, HDI) of posterior variables."""
    return quietly(require_arviz().summary, idata, var_names=list(var_names) if var_names else None, kind="stats", hdi_prob=prob)
