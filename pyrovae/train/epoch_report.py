"""The one line ``pyrovae fit`` prints after every epoch, with an honest estimate of the time left.

::

    epoch 3/10  valid: loss 70.91  rate 0.0031  distortion 70.90 nats/sentence  active units 0 of 32
                (41 s/epoch; about 4.8 min left)

The estimate divides the wall time since training (re)started by the optimizer steps taken since,
validation included, and multiplies by the steps left (``max_steps`` or the epochs' steps), so a
loaded machine shows up in it.
"""

from __future__ import annotations

import math
import time


def format_duration(seconds: float) -> str:
    """``41 s``, ``4.8 min``, ``2.3 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class TrainingClock:
    """Wall time per optimizer step since training (re)started, and the time left at that pace."""

    def __init__(self, start_step: int) -> None:
        self.started, self.start_step = time.perf_counter(), start_step

    def seconds_per_step(self, step: int) -> float | None:
        done = step - self.start_step
        return (time.perf_counter() - self.started) / done if done > 0 else None

    def remaining(self, step: int, total_steps: int) -> float | None:
        pace = self.seconds_per_step(step)
        return None if pace is None else pace * max(0, total_steps - step)


def epoch_line(epoch: int, epochs: int, record: dict, epoch_seconds: float, remaining: float | None) -> str:
    """The summary of one epoch's validation record (nats per sentence) and the time it took."""
    parts = [f"epoch {epoch}/{epochs}  valid: loss {record['loss']:.2f}  rate {record['rate']:.4g}"
             f"  distortion {record['distortion']:.2f} nats/sentence"]
    units, dims = record.get("active_units"), record.get("latent_dims")
    if units is not None and dims and math.isfinite(units):
        parts.append(f"  active units {int(units)} of {int(dims)}")
    timing = f"  ({format_duration(epoch_seconds)}/epoch"
    timing += f"; about {format_duration(remaining)} left)" if remaining else ")"
    return "".join(parts) + timing
