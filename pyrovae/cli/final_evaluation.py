"""Evaluation of a run's best checkpoint, shared by ``fit`` (at the end) and ``evaluate``."""

from __future__ import annotations

import math

import torch

from pyrovae.atomic import atomic_write_json
from pyrovae.cli.metric_files import jsonable
from pyrovae.cli.table import format_table
from pyrovae.data.batching import FixedBatches
from pyrovae.data.dataset import SentenceDataset
from pyrovae.train.config import RunConfig
from pyrovae.train.run_directory import RunDirectory


def evaluate_split(
    model, dataset: SentenceDataset, batch_size: int, iw_samples: int, progress: bool,
    mi_points: int | None = None,
):
    """All scalar metrics of ``model`` on ``dataset`` (see :func:`pyrovae.metrics.evaluate`)."""
    from pyrovae.metrics import evaluate

    return evaluate(model, FixedBatches(dataset, batch_size), iw_samples=iw_samples, progress=progress, mi_points=mi_points)


#: Below this share of the rate carried as information about x, the split is flagged.
INFORMATIVE_SHARE = 0.5


def rate_split(metrics: dict) -> str | None:
    """One line splitting the rate into the mutual information and the marginal KL.

    The average rate is :math:`I_q(x; z) + \\mathrm{KL}(q(z) \\| p(z))` (Hoffman & Johnson 2016), so
    ``rate - mutual_information`` estimates the marginal KL, the part of the rate that moves
    :math:`q(z)` away from the prior without informing about ``x`` ("rate without information"). None
    when either figure is missing or the rate is negligible.
    """
    rate, mi = metrics.get("rate"), metrics.get("mutual_information")
    if rate is None or mi is None or not math.isfinite(mi.value) or rate.value < 0.1:
        return None
    share = max(0.0, mi.value) / rate.value
    line = (
        f"rate {rate.value:.3g} nats/sentence = I(x;z) {mi.value:.3g} nats + marginal KL {rate.value - mi.value:.3g} nats"
        f" ({share:.0%} of the rate informs about x)"
    )
    if share < INFORMATIVE_SHARE:
        line += "; most of the rate only moves q(z) away from p(z): see `pyrovae diagnose`"
    if mi.note:
        line += f"; the MI estimate is {mi.note}"
    return line


def final_evaluation(run_dir: RunDirectory, datasets: dict, config: RunConfig, device: torch.device) -> None:
    """Evaluate the best checkpoint on each available split and write ``final_metrics.json``."""
    import pyro

    model, _, _ = run_dir.load_model("best", device=device)
    pyro.set_rng_seed(config.seed)  # the estimates sample: seed them so reruns agree exactly
    results = {}
    for split, dataset in datasets.items():
        if dataset is None:
            continue
        metrics = evaluate_split(
            model, dataset, config.eval_batch_size, config.eval_iw_samples, config.progress,
            mi_points=config.eval_mi_points,
        )
        print(format_table(f"{split} ({run_dir.path})", metrics))
        split_line = rate_split(metrics)
        if split_line:
            print(split_line)
        results[split] = jsonable(metrics)
    atomic_write_json(run_dir.path / "final_metrics.json", results)
