r"""Component families of the mixed-membership model: the distribution of one mixture component.

A component ``k`` of a block of ``E`` dimensions is a product of ``E`` independent univariate
distributions with location :math:`\mu_{k}` and scale :math:`\sigma_{k}` (a diagonal component),
plus any *shape* parameters the family has:

* :class:`StudentTFamily`: :math:`\prod_e t_{\nu_k}(z_e; \mu_{ke}, \sigma_{ke})` with one degrees
  of freedom :math:`\nu_k` per component and block, prior :math:`\nu_k \sim \mathrm{Gamma}(2,
  0.1)` (mean 20; Juárez & Steel 2010, "Model-based clustering of non-Gaussian panel data based
  on skew-t distributions", JBES 28(1)), the family of Barkhof (2021), Appendix B;
* :class:`NormalFamily`: :math:`\prod_e \mathcal N(z_e; \mu_{ke}, \sigma_{ke}^2)`, no shape
  parameter.

A new family is a subclass of :class:`ComponentFamily`: it names its positive shape parameters
(:attr:`~ComponentFamily.shape_names`) with their priors (:meth:`~ComponentFamily.shape_priors`;
the guide gives each a log-normal factor), builds the component distribution
(:meth:`~ComponentFamily.distribution`) and may give a faster closed-form
:meth:`~ComponentFamily.log_prob`. Register it in :data:`FAMILIES` to make it available by name
(``--family`` on the command line).
"""

from __future__ import annotations

import math
from abc import ABCMeta, abstractmethod

import pyro.distributions as dist
import torch

from pyrovae.errors import ConfigError


class ComponentFamily(metaclass=ABCMeta):
    """The distribution family of the mixture components."""

    #: the name under which the family is registered (``--family``).
    name: str = ""

    #: names of the family's positive shape parameters (sample sites of the model).
    shape_names: tuple[str, ...] = ()

    def shape_priors(self, like: torch.Tensor) -> dict[str, dist.Distribution]:
        """``{name: prior}`` of the shape parameters: scalar priors (the model's plates give one
        value per component and block), with the dtype and device of ``like``. Default: none."""
        return {}

    @abstractmethod
    def distribution(
        self, loc: torch.Tensor, scale: torch.Tensor, shape: dict[str, torch.Tensor]
    ) -> dist.Distribution:
        """The component distribution with event shape ``[E]``.

        Args:
            loc, scale: ``[..., E]`` locations and (positive) scales of the selected components.
            shape: the selected components' shape parameters, each ``[...]`` (no event dim).
        """

    def log_prob(
        self, z: torch.Tensor, loc: torch.Tensor, scale: torch.Tensor, shape: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        """``log f(z)`` summed over the event dimension, broadcasting ``z [..., E]`` against the
        parameters; used to evaluate many parameter draws at once. Subclasses may override it with
        a closed form that avoids expanding the parameters to the full broadcast shape."""
        return self.distribution(loc, scale, shape).log_prob(z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NormalFamily(ComponentFamily):
    r"""Diagonal Gaussian components :math:`\mathcal N(\mu_k, \operatorname{diag} \sigma_k^2)`."""

    name = "normal"

    def distribution(self, loc, scale, shape):
        return dist.Normal(loc, scale).to_event(1)

    def log_prob(self, z, loc, scale, shape):
        y = (z - loc) / scale
        return -0.5 * (y * y).sum(-1) - (scale.log() + 0.5 * math.log(2 * math.pi)).sum(-1)


class StudentTFamily(ComponentFamily):
    r"""Products of Student's t distributions :math:`\prod_e t_{\nu_k}(\mu_{ke}, \sigma_{ke})`.

    Args:
        df_concentration, df_rate: the Gamma prior of the degrees of freedom :math:`\nu_k`
            (default Gamma(2, 0.1): mean 20, mode 10, so the data decide between heavy tails and
            a near-Gaussian component).
    """

    name = "studentt"
    shape_names = ("df",)

    def __init__(self, df_concentration: float = 2.0, df_rate: float = 0.1) -> None:
        if df_concentration <= 0 or df_rate <= 0:
            raise ConfigError(
                f"the Gamma prior of the degrees of freedom needs positive concentration and rate, "
                f"got {df_concentration} and {df_rate}"
            )
        self.df_concentration = float(df_concentration)
        self.df_rate = float(df_rate)

    def shape_priors(self, like: torch.Tensor) -> dict[str, dist.Distribution]:
        return {"df": dist.Gamma(like.new_tensor(self.df_concentration), like.new_tensor(self.df_rate))}

    def distribution(self, loc, scale, shape):
        return dist.StudentT(shape["df"].unsqueeze(-1), loc, scale).to_event(1)

    def log_prob(self, z, loc, scale, shape):
        df = shape["df"]
        y = (z - loc) * (scale * df.unsqueeze(-1).sqrt()).reciprocal()  # (z - mu) / (sigma sqrt(nu))
        kernel = torch.log1p(y * y).sum(-1)
        normaliser = torch.lgamma(0.5 * (df + 1)) - torch.lgamma(0.5 * df) - 0.5 * torch.log(math.pi * df)
        return -0.5 * (df + 1) * kernel + loc.shape[-1] * normaliser - scale.log().sum(-1)

    def __repr__(self) -> str:
        return f"StudentTFamily(df_concentration={self.df_concentration}, df_rate={self.df_rate})"


#: Families by name.
FAMILIES: dict[str, type[ComponentFamily]] = {"studentt": StudentTFamily, "normal": NormalFamily}


def get_family(family: str | ComponentFamily) -> ComponentFamily:
    """A family instance from its registered name (or the instance itself).

    Raises:
        ConfigError: for an unknown name, listing the known ones.
    """
    if isinstance(family, ComponentFamily):
        return family
    key = str(family).lower().replace("-", "").replace("_", "")
    if key not in FAMILIES:
        raise ConfigError(f"unknown component family {family!r}: choose one of {', '.join(FAMILIES)}")
    return FAMILIES[key]()
