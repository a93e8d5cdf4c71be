r"""``Estimate``: a reported number with its standard error and unit.

For ``n`` i.i.d. per-data-point values :math:`v_1, \dots, v_n` (e.g. one log-likelihood per
sentence), :meth:`Estimate.from_samples` reports the sample mean and the standard error of the mean

.. math::
    \bar v = \frac{1}{n} \sum_i v_i, \qquad
    \mathrm{SE} = \sqrt{\frac{1}{n (n - 1)} \sum_i (v_i - \bar v)^2}

(sample standard deviation with ``ddof=1`` divided by :math:`\sqrt n`). The standard error
describes the variability over the evaluation set only, not over training runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from pyrovae.errors import DataError


def _decimals(stderr: float | None, value: float = 0.0) -> int:
    """Decimals showing two significant digits of the standard error, or without one three
    significant digits of a small value (at least 2, at most 6)."""
    if stderr is None or not math.isfinite(stderr) or stderr <= 0:
        if value and math.isfinite(value) and abs(value) < 1:
            return min(6, max(2, 2 - math.floor(math.log10(abs(value)))))
        return 2
    return min(6, max(2, 1 - math.floor(math.log10(stderr))))


@dataclass(frozen=True)
class Estimate:
    """A point estimate with an optional standard error, in ``unit``.

    Attributes:
        value: the estimate.
        stderr: its standard error, or None when none is defined (counts, single values).
        unit: e.g. ``"nats/sentence"``, ``"nats/token"``, ``"units"``.
        note: an optional remark (e.g. why a metric is zero or undefined for this model).

    ``str(Estimate(101.234, 0.45, "nats/sentence"))`` is ``"101.23 ± 0.45 nats/sentence"``.
    """

    value: float
    stderr: float | None
    unit: str
    note: str | None = None

    @classmethod
    def from_samples(cls, values: torch.Tensor, unit: str, note: str | None = None) -> "Estimate":
        """Mean and standard error of the mean (``ddof=1``) of per-data-point ``values``.

        ``values`` is flattened. With a single value the standard error is None.

        Raises:
            DataError: when ``values`` is empty.
        """
        flat = torch.as_tensor(values).detach().reshape(-1).double()
        n = flat.numel()
        if n == 0:
            raise DataError(f"cannot estimate a mean in {unit} from zero values: the data is empty")
        mean = float(flat.mean())
        stderr = float(flat.std(correction=1) / math.sqrt(n)) if n > 1 else None
        return cls(mean, stderr, unit, note)

    @classmethod
    def from_ratio(
        cls, numerators: torch.Tensor, denominators: torch.Tensor, unit: str, note: str | None = None
    ) -> "Estimate":
        r"""The ratio of sums :math:`r = \sum_n a_n / \sum_n b_n` over ``n`` i.i.d. units (e.g. a
        per-token figure from per-sentence sums ``a_n`` and token counts ``b_n``).

        The standard error is the delta method's,
        :math:`\mathrm{SE}(r) = \mathrm{sd}_n(a_n - r\, b_n) / (\sqrt n\, \bar b)` (``ddof=1``);
        None for a single unit.

        Raises:
            DataError: when there are no units or the denominators sum to zero.
        """
        a = torch.as_tensor(numerators).detach().reshape(-1).double()
        b = torch.as_tensor(denominators).detach().reshape(-1).double()
        if a.numel() == 0 or a.shape != b.shape:
            raise DataError(
                f"a ratio in {unit} needs as many numerators as denominators and at least one of "
                f"each, got {a.numel()} and {b.numel()}"
            )
        if float(b.sum()) == 0.0:
            raise DataError(f"cannot estimate a ratio in {unit}: the denominators sum to zero")
        ratio = float(a.sum() / b.sum())
        n = a.numel()
        stderr = float((a - ratio * b).std(correction=1) / (math.sqrt(n) * b.mean())) if n > 1 else None
        return cls(ratio, stderr, unit, note)

    def to_dict(self) -> dict[str, float | str | None]:
        """``{"value", "stderr", "unit", "note"}``, JSON-serialisable."""
        return {"value": self.value, "stderr": self.stderr, "unit": self.unit, "note": self.note}

    def __str__(self) -> str:
        if self.stderr is None and float(self.value).is_integer() and math.isfinite(self.value):
            text = f"{int(self.value)}"
        else:
            decimals = _decimals(self.stderr, self.value)
            text = f"{self.value:.{decimals}f}"
            if self.stderr is not None:
                text += f" ± {self.stderr:.{decimals}f}"
        text = f"{text} {self.unit}" if self.unit else text
        return f"{text} ({self.note})" if self.note else text
