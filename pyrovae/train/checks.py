"""Range checks of run options: each names the option, the value and the valid range when it fails.

A check is attached to a :class:`~pyrovae.train.config.RunConfig` field (``option(default, help,
check)``); ``describe()`` is what ``pyrovae fit --help`` prints after the option's help.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pyrovae.errors import ConfigError


class Check:
    """Base class: ``check(name, value)`` raises a :class:`ConfigError` for a value out of range."""

    def holds(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def __call__(self, name: str, value: Any) -> None:
        if value is not None and not self.holds(value):
            raise ConfigError(f"{name}={value!r} is out of range: {name} must be {self.describe()}")


@dataclass(frozen=True)
class Between(Check):
    """A finite number in ``[low, high]`` (either bound may be open with ``None``); ``strict`` excludes ``low``."""

    low: float | None = None
    high: float | None = None
    strict: bool = False
    integer: bool = False

    def holds(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.strict else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self) -> str:
        kind, show = ("an integer", lambda v: f"{v:,}") if self.integer else ("a finite number", lambda v: f"{v:g}")
        if self.low is not None and self.high is not None:
            return f"{kind} in {'(' if self.strict else '['}{show(self.low)}, {show(self.high)}]"
        if self.low is not None:
            return f"{kind} {'>' if self.strict else '>='} {show(self.low)}"
        return f"{kind} <= {show(self.high)}"


def positive() -> Between:
    return Between(0, strict=True)


def non_negative() -> Between:
    return Between(0)


def at_least(low: int, high: int | None = None) -> Between:
    """An integer count in ``[low, high]`` (the type itself is checked when the value is read)."""
    return Between(low, high, integer=True)


@dataclass(frozen=True)
class DeviceName(Check):
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (whether it exists is checked when training starts)."""

    def holds(self, value: Any) -> bool:
        return isinstance(value, str) and re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", value) is not None

    def describe(self) -> str:
        return "one of auto, cpu, cuda, cuda:N (a GPU index), mps"
