"""Figures without global state: a matplotlib ``Figure`` on an Agg canvas, saved as PNG.

No ``pyplot``: a library function that switched the interactive backend or left figures open
would disturb the caller's session. matplotlib is imported here, when a figure is made, never at
``import pyrovae``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Resolution of saved figures; with the panel sizes used here a PNG is a few tens of KB.
DPI = 100


def new_figure(nrows: int = 1, ncols: int = 1, panel_size: tuple[float, float] = (4.0, 3.0), **kwargs: Any):
    """A figure of ``nrows x ncols`` panels, each ``panel_size`` inches, and its axes as a 2-d
    array (``squeeze=False``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False, **kwargs)
    return figure, axes


#: What a panel without any plotted data says, instead of showing empty axes.
NO_DATA = "no data"


def save(figure, path: str | Path) -> Path:
    """Write ``figure`` to ``path`` (PNG unless the suffix says otherwise), creating folders.

    A panel with nothing plotted (e.g. no run had the metric) says :data:`NO_DATA` in its middle.
    """
    for ax in figure.axes:
        if not ax.has_data():
            ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", color="grey", fontsize=11)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path
