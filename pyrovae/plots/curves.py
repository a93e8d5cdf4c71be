"""Training curves of one or more runs: loss, rate, distortion and the objective's state per step.

Each panel plots one quantity of the run logs (``RUN/metrics.jsonl``) against optimizer steps: the
training records as lines (averages over each logging window) and the validation records as
markers. The objective's own state (``objective.kl_weight``, ``objective.multiplier``,
``objective.capacity``, ...) gets a panel per key that any run logged, so the effect of an
annealing schedule or a Lagrange multiplier on the rate can be read off one figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from pyrovae.plots.canvas import new_figure, save

#: The panels every figure has, with their axis labels.
CORE_PANELS = {
    "loss": "loss (nats/sentence)",
    "rate": "rate KL(q(z|x) || p(z)) (nats/sentence)",
    "distortion": "distortion (nats/sentence)",
}

#: Prefix of the objective's logged state.
OBJECTIVE_PREFIX = "objective."


def objective_keys(logs: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """The objective-state keys any run logged, in first-seen order."""
    keys: list[str] = []
    for records in logs.values():
        for record in records:
            keys.extend(k for k in record if k.startswith(OBJECTIVE_PREFIX) and k not in keys)
    return keys


def _series(records: Sequence[Mapping[str, Any]], split: str, key: str) -> tuple[list[float], list[float]]:
    points = [(r["step"], r[key]) for r in records if r.get("split") == split and isinstance(r.get(key), (int, float))]
    return [p[0] for p in points], [p[1] for p in points]


def plot_training_curves(logs: Mapping[str, Sequence[Mapping[str, Any]]], path: str | Path) -> Path:
    """One panel per core quantity and per logged objective-state key; one colour per run.

    Args:
        logs: ``{run label: records of its metrics.jsonl}``.
        path: the PNG to write.

    Returns:
        ``path``.
    """
    panels = {**CORE_PANELS, **{key: key[len(OBJECTIVE_PREFIX):] for key in objective_keys(logs)}}
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    figure, axes = new_figure(rows, columns, panel_size=(4.0, 2.8))
    for ax, (key, label) in zip(axes.flat, panels.items()):
        for index, (run, records) in enumerate(logs.items()):
            colour = f"C{index % 10}"
            steps, values = _series(records, "train", key)
            if steps:
                ax.plot(steps, values, "-" if len(steps) > 2 else ".-", color=colour, linewidth=1, label=f"{run} (train)")
            steps, values = _series(records, "valid", key)
            if steps:
                ax.plot(steps, values, "o", color=colour, markersize=3, label=f"{run} (valid)")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(label, fontsize=8)
        if ax.has_data() and key == "loss":
            ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    return save(figure, path)
