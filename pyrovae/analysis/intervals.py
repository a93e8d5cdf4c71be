r"""``CredibleInterval``: a posterior mean with an equal-tailed credible interval and a unit.

From ``S`` posterior draws :math:`v^{(1..S)}` of a scalar, the summary is the mean
:math:`\bar v` and the equal-tailed interval :math:`[Q_{(1-p)/2}, Q_{(1+p)/2}]` of the draws
(linear interpolation between order statistics, ``torch.quantile``). Equal-tailed intervals are
invariant under monotone transformations; ArviZ's forest plots draw highest-density intervals
instead, which differ for skewed posteriors (e.g. weights near 0 or 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from pyrovae.errors import ConfigError

#: The default credible mass.
DEFAULT_PROB = 0.95


@dataclass(frozen=True)
class CredibleInterval:
    """Posterior mean and equal-tailed credible interval of a scalar.

    ``str(CredibleInterval(4.02, 3.85, 4.19, 0.95, "nats"))`` is ``"4.02 [3.85, 4.19] nats"``.
    """

    mean: float
    lower: float
    upper: float
    prob: float
    unit: str = ""

    @classmethod
    def from_draws(cls, draws: torch.Tensor, prob: float = DEFAULT_PROB, unit: str = "") -> "CredibleInterval":
        """Summarise a 1-D tensor of posterior draws."""
        if not 0 < prob < 1:
            raise ConfigError(f"the credible mass must lie in (0, 1), got {prob}")
        values = torch.as_tensor(draws).detach().reshape(-1).double()
        if values.numel() < 2:
            raise ConfigError(f"a credible interval needs at least 2 draws, got {values.numel()}")
        lower, upper = torch.quantile(values, torch.tensor([(1 - prob) / 2, (1 + prob) / 2], dtype=torch.float64))
        return cls(float(values.mean()), float(lower), float(upper), prob, unit)

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper

    def to_dict(self) -> dict[str, float | str]:
        return {"mean": self.mean, "lower": self.lower, "upper": self.upper, "prob": self.prob, "unit": self.unit}

    def __str__(self) -> str:
        return self.format()

    def format(self, unit: bool = True) -> str:
        """``"mean [lower, upper] unit"`` with two significant digits of the interval's width."""
        width = self.upper - self.lower
        resolved = math.isfinite(width) and width > 1e-6 * max(1.0, abs(self.mean))
        decimals = min(6, max(2, 1 - math.floor(math.log10(width)))) if resolved else 2
        text = f"{self.mean:.{decimals}f} [{self.lower:.{decimals}f}, {self.upper:.{decimals}f}]"
        return f"{text} {self.unit}" if unit and self.unit else text
