r"""The mixed-membership model of grouped continuous samples (Barkhof 2021, Appendix B).

Observations :math:`z_n \in \mathbb R^D` come in groups :math:`g_n \in \{1..G\}` (one group per
trained model, plus a group of prior samples). ``K`` components are shared by all groups; each
group mixes them with its own weights (Airoldi et al. 2014, "Handbook of Mixed Membership Models and Their Applications";
Blei 2014):

.. math::
    \theta_g &\sim \mathrm{Dirichlet}(\alpha \mathbf 1_K) && g = 1..G \\
    \mu_k &\sim \mathcal N(0, s_\mu^2 I), \quad
    \sigma_k \sim \mathrm{LogNormal}(m_\sigma, s_\sigma^2), \quad \nu_k \sim p(\nu)
        && k = 1..K \\
    c_n \mid g_n &\sim \mathrm{Categorical}(\theta_{g_n}) && n = 1..N \\
    z_n \mid c_n &\sim f(\,\cdot\,; \mu_{c_n}, \sigma_{c_n}, \nu_{c_n})

with :math:`f` a diagonal component of a :class:`~pyrovae.analysis.families.ComponentFamily`
(Student's t by default). The assignments :math:`c_n` are summed out by enumeration
(``TraceEnum_ELBO``), so the likelihood of one observation is the group's mixture density

.. math:: q_g(z) = \sum_{k=1}^K \theta_{gk}\, f(z; \mu_k, \sigma_k, \nu_k),

and the observation plate can be subsampled (stochastic variational inference; Hoffman et al.
2013, "Stochastic Variational Inference", JMLR 14).

**Blocks.** The model is written for ``P`` independent *blocks* of ``E`` dimensions each
(``D = P E``): every block has its own weights, components and assignments. The joint model in
:math:`\mathbb R^D` is one block of ``D`` dimensions; the **univariate** model (Barkhof's
:math:`\mathbb R^1` analysis, one model per latent dimension) is ``D`` blocks of one dimension,
fitted at once as a batch. In the univariate model the groups' densities are products of
per-dimension mixtures, so they ignore dependence between dimensions.

**Tied groups.** Several groups may share one weight vector (:meth:`MixedMembership.tie`): the
hypothesis "group ``g``'s distribution equals the prior group's" is the model where ``g`` uses the
prior group's :math:`\theta`. There are ``W`` distinct weight vectors ("mixtures"); group ``g``
uses mixture ``mixture_of_group[g]``.

Parameters in draws (:meth:`MixedMembership.log_likelihood`) have leading sample dimensions and
the shapes ``weights [..., W, P, K]``, ``loc``/``scale`` ``[..., K, P, E]`` and one
``[..., K, P]`` tensor per shape parameter of the family (e.g. ``df``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyro
import pyro.distributions as dist
import torch
from pyro.ops.indexing import Vindex

from pyrovae.analysis.families import ComponentFamily, get_family
from pyrovae.errors import ConfigError, DataError

#: Names of the model's sample sites and plates.
WEIGHTS, LOC, SCALE, ASSIGNMENT, OBSERVED = "weights", "loc", "scale", "component", "z"
BLOCKS_PLATE, MIXTURES_PLATE, COMPONENTS_PLATE, OBSERVATIONS_PLATE = "blocks", "mixtures", "components", "observations"


@dataclass(frozen=True)
class MixedMembershipPriors:
    r"""Hyperparameters of the model's priors.

    Attributes:
        concentration: :math:`\alpha` of the symmetric Dirichlet prior of each group's weights.
            The default 0.5 (below 1) favours groups that use few components.
        loc_scale: :math:`s_\mu`, prior standard deviation of component locations (in units of
            ``z``; 5 suits VAE codes, whose prior is usually N(0, I)).
        log_scale_loc, log_scale_scale: :math:`m_\sigma, s_\sigma` of the log-normal prior of
            component scales (default LogNormal(0, 1): median 1, 95% within [0.14, 7.1]).
    """

    concentration: float = 0.5
    loc_scale: float = 5.0
    log_scale_loc: float = 0.0
    log_scale_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("concentration", "loc_scale", "log_scale_scale"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"prior hyperparameter {name} must be positive, got {getattr(self, name)}")


class MixedMembership:
    """The generative model; :meth:`model` is the Pyro program, the other methods evaluate it.

    Args:
        num_groups: ``G``.
        latent_dim: ``D``, the dimension of every observation.
        num_components: ``K``.
        family: a :class:`ComponentFamily` or its registered name (``"studentt"``, ``"normal"``).
        univariate: one independent model per dimension (``D`` blocks of one dimension) instead
            of one model in :math:`\\mathbb R^D`.
        priors: hyperparameters; defaults of :class:`MixedMembershipPriors`.
        mixture_of_group: which weight vector each group uses (default: its own); see
            :meth:`tie`.
    """

    def __init__(
        self,
        num_groups: int,
        latent_dim: int,
        num_components: int = 5,
        family: str | ComponentFamily = "studentt",
        univariate: bool = False,
        priors: MixedMembershipPriors | None = None,
        mixture_of_group: Sequence[int] | None = None,
    ) -> None:
        for name, value in (("num_groups", num_groups), ("latent_dim", latent_dim), ("num_components", num_components)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        self.num_groups = num_groups
        self.latent_dim = latent_dim
        self.num_components = num_components
        self.family = get_family(family)
        self.univariate = bool(univariate)
        self.priors = priors or MixedMembershipPriors()
        mixtures = list(range(num_groups)) if mixture_of_group is None else [int(m) for m in mixture_of_group]
        if len(mixtures) != num_groups or sorted(set(mixtures)) != list(range(len(set(mixtures)))):
            raise ConfigError(
                f"mixture_of_group must give each of the {num_groups} groups a mixture index, using "
                f"0..W-1 without gaps; got {mixtures}"
            )
        self.mixture_of_group = torch.tensor(mixtures, dtype=torch.long)

    # --- layout ------------------------------------------------------------------------------

    @property
    def num_blocks(self) -> int:
        """``P``: ``D`` in the univariate model, else 1."""
        return self.latent_dim if self.univariate else 1

    @property
    def block_dim(self) -> int:
        """``E``: 1 in the univariate model, else ``D``."""
        return 1 if self.univariate else self.latent_dim

    @property
    def num_mixtures(self) -> int:
        """``W``, the number of distinct weight vectors."""
        return int(self.mixture_of_group.max()) + 1

    def tie(self, group: int, to: int) -> "MixedMembership":
        """A copy of the model in which ``group`` uses the weights of group ``to``.

        Mixture indices are renumbered ``0..W-1`` in order of first use.
        """
        for name, value in (("group", group), ("to", to)):
            if not 0 <= value < self.num_groups:
                raise ConfigError(f"{name} must be a group index in [0, {self.num_groups}), got {value}")
        mixtures = self.mixture_of_group.clone()
        mixtures[mixtures == mixtures[group]] = mixtures[to]
        renumber: dict[int, int] = {}
        for value in mixtures.tolist():
            renumber.setdefault(value, len(renumber))
        clone = object.__new__(MixedMembership)
        clone.__dict__.update(self.__dict__)
        clone.mixture_of_group = torch.tensor([renumber[v] for v in mixtures.tolist()], dtype=torch.long)
        return clone

    def blocks(self, z: torch.Tensor) -> torch.Tensor:
        """``[..., D] -> [..., P, E]``."""
        return z.reshape(*z.shape[:-1], self.num_blocks, self.block_dim)

    def check_data(self, z: torch.Tensor, group: torch.Tensor) -> None:
        """Raise :class:`DataError` unless ``z [N, D]`` and ``group [N]`` fit the model."""
        if z.dim() != 2 or z.shape[0] == 0:
            raise DataError(f"the observations must be a non-empty [N, D] tensor, got shape {tuple(z.shape)}")
        if z.shape[1] != self.latent_dim:
            raise DataError(f"the model is for {self.latent_dim}-dimensional observations, got {z.shape[1]} dimensions")
        if not torch.isfinite(z).all():
            raise DataError("the observations contain NaN or infinite values")
        if group.shape != z.shape[:1] or group.dtype != torch.long:
            raise DataError(f"group must be a long tensor of shape [{z.shape[0]}], got {group.dtype} {tuple(group.shape)}")
        if group.numel() and (group.min() < 0 or group.max() >= self.num_groups):
            raise DataError(f"group indices must lie in [0, {self.num_groups}), got [{int(group.min())}, {int(group.max())}]")

    # --- the Pyro program --------------------------------------------------------------------

    def model(self, z: torch.Tensor, group: torch.Tensor, subsample_size: int | None = None) -> None:
        """The generative program; ``z [N, D]`` observed, ``group [N]`` given.

        Sites: ``weights`` (Dirichlet, plates mixtures x blocks), ``loc``, ``scale`` and the
        family's shape parameters (plates components x blocks), ``component`` (enumerated),
        ``z`` (observed, plate ``observations`` subsampled to ``subsample_size``).
        """
        priors, K, P, E = self.priors, self.num_components, self.num_blocks, self.block_dim
        value = z.new_tensor  # scalars with the observations' dtype and device
        blocks = torch.arange(P, device=z.device)
        mixture_of_group = self.mixture_of_group.to(z.device)
        with pyro.plate(BLOCKS_PLATE, P, dim=-1):
            with pyro.plate(MIXTURES_PLATE, self.num_mixtures, dim=-2):
                weights = pyro.sample(WEIGHTS, dist.Dirichlet(z.new_full((K,), priors.concentration)))
            with pyro.plate(COMPONENTS_PLATE, K, dim=-2):
                loc = pyro.sample(LOC, dist.Normal(value(0.0), value(priors.loc_scale)).expand([E]).to_event(1))
                scale = pyro.sample(
                    SCALE,
                    dist.LogNormal(value(priors.log_scale_loc), value(priors.log_scale_scale)).expand([E]).to_event(1),
                )
                shape = {name: pyro.sample(name, prior) for name, prior in self.family.shape_priors(z).items()}
            with pyro.plate(OBSERVATIONS_PLATE, z.shape[0], subsample_size=subsample_size, dim=-2) as index:
                probs = weights[mixture_of_group[group[index]]]  # [B, P, K]
                c = pyro.sample(ASSIGNMENT, dist.Categorical(probs), infer={"enumerate": "parallel"})
                component = self.family.distribution(
                    Vindex(loc)[..., c, blocks, :],
                    Vindex(scale)[..., c, blocks, :],
                    {name: Vindex(parameter)[..., c, blocks] for name, parameter in shape.items()},
                )
                pyro.sample(OBSERVED, component, obs=self.blocks(z[index]))

    def site_names(self) -> list[str]:
        """The global latent sites: weights, loc, scale and the family's shape parameters."""
        return [WEIGHTS, LOC, SCALE, *self.family.shape_names]

    # --- evaluation at parameter draws -------------------------------------------------------

    def component_log_prob(self, params: dict[str, torch.Tensor], z: torch.Tensor) -> torch.Tensor:
        r"""``[..., N, P, K]``: :math:`\log f(z_{n,p}; \mu_{kp}, \sigma_{kp}, \nu_{kp})`.

        Args:
            params: parameter draws with leading sample dimensions ``[...]`` (module docstring).
            z: ``[N, D]`` observations.
        """
        loc = params[LOC].unsqueeze(-4)  # [..., 1, K, P, E]
        scale = params[SCALE].unsqueeze(-4)
        shape = {name: params[name].unsqueeze(-3) for name in self.family.shape_names}  # [..., 1, K, P]
        points = self.blocks(z).unsqueeze(-3)  # [N, 1, P, E]
        return self.family.log_prob(points, loc, scale, shape).transpose(-1, -2)

    def log_weights(self, params: dict[str, torch.Tensor], group: torch.Tensor) -> torch.Tensor:
        """``[..., N, P, K]``: log mixing weights of each observation's group."""
        weights = params[WEIGHTS][..., self.mixture_of_group.to(group.device)[group], :, :]
        return torch.log(weights.clamp_min(torch.finfo(weights.dtype).tiny))

    def log_likelihood(self, params: dict[str, torch.Tensor], z: torch.Tensor, group: torch.Tensor) -> torch.Tensor:
        r"""``[..., N, P]``: :math:`\log q_{g_n}(z_n)` per block, the assignment summed out:
        :math:`\log \sum_k \theta_{g_n k}\, f(z_n; \mu_k, \sigma_k, \nu_k)` (nats)."""
        return torch.logsumexp(self.log_weights(params, group) + self.component_log_prob(params, z), dim=-1)

    def __repr__(self) -> str:
        return (
            f"MixedMembership(num_groups={self.num_groups}, latent_dim={self.latent_dim}, "
            f"num_components={self.num_components}, family={self.family!r}, "
            f"univariate={self.univariate}, mixture_of_group={self.mixture_of_group.tolist()}, "
            f"priors={self.priors})"
        )
