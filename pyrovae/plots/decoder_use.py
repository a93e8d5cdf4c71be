r"""How much the decoder's predictions depend on the code, along the sentence.

Barkhof (2021, section 4.3, Figs. 4.10-4.12) decodes every sentence (teacher forced) with codes
from its posterior and with codes from the prior (5 of each), and compares the two per position:
the drop in next-token accuracy and the Jensen-Shannon divergence between the two predictive
distributions, averaged within bins of relative position :math:`t / |x|`. A decoder that ignores
``z`` gives flat zero curves; one that stores, say, the first words in ``z`` peaks at the start.

Reference: Barkhof, "Taking a step back: assessing the TransformerVAE as a latent variable model
first" (MSc thesis, University of Amsterdam, 2021).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from pyrovae.plots.canvas import new_figure, save


def plot_decoder_use(
    positions: Sequence[float],
    accuracy_drop: Sequence[float],
    js_divergence: Sequence[float],
    path: str | Path,
    *,
    js_unit: str = "nats/token",
) -> Path:
    """Accuracy drop and JS divergence (posterior vs prior codes) over relative position.

    Args:
        positions: ``[B]`` centres of the relative-position bins, in ``[0, 1]``.
        accuracy_drop: ``[B]`` accuracy with posterior codes minus accuracy with prior codes.
        js_divergence: ``[B]`` mean JS divergence per token in each bin.
        path: the PNG to write.
        js_unit: the unit of the JS divergence.

    Returns:
        ``path``.
    """
    x = np.asarray(positions, dtype=float)
    curves = {"accuracy drop": np.asarray(accuracy_drop, dtype=float), f"JS divergence ({js_unit})": np.asarray(js_divergence, dtype=float)}
    if any(c.shape != x.shape for c in curves.values()):
        raise ValueError(f"positions and curves must have the same length, got {x.shape} and {[c.shape for c in curves.values()]}")
    figure, axes = new_figure(1, 2, panel_size=(3.6, 2.6))
    for ax, (label, y) in zip(axes.flat, curves.items()):
        ax.plot(x, y, marker="o", markersize=3, color="tab:purple")
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.set_xlabel("relative position in the sentence")
        ax.set_ylabel(label)
        ax.set_xlim(0.0, 1.0)
    figure.suptitle("decoding with posterior vs prior codes", fontsize=9)
    return save(figure, path)
