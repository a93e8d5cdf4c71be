"""Evaluation of a run's best checkpoint, shared by ``fit`` (at the end) and ``evaluate``."""

from __future__ import annotations

import torch

from pyrovae.atomic import atomic_write_json
from pyrovae.cli.metric_files import jsonable
from pyrovae.cli.table import format_table
from pyrovae.data.batching import make_loader
from pyrovae.data.dataset import SentenceDataset
from pyrovae.train.config import RunConfig
from pyrovae.train.run_directory import RunDirectory


def evaluate_split(
    model, vocab, dataset: SentenceDataset, batch_size: int, iw_samples: int, progress: bool,
    mi_points: int | None = None,
):
    """All scalar metrics of ``model`` on ``dataset`` (see :func:`pyrovae.metrics.evaluate`)."""
    from pyrovae.metrics import evaluate

    batches = make_loader(dataset, vocab, batch_size, shuffle=False)
    return evaluate(model, batches, iw_samples=iw_samples, progress=progress, mi_points=mi_points)


def report(run_dir: RunDirectory, split: str, metrics: dict, filename: str) -> None:
    """Print a table of ``metrics`` and write them as JSON into the run directory."""
    print(format_table(f"{split} ({run_dir.path})", metrics))
    atomic_write_json(
        run_dir.path / filename,
        {"split": split, **jsonable(metrics)},
    )


def final_evaluation(run_dir: RunDirectory, datasets: dict, config: RunConfig, device: torch.device) -> None:
    """Evaluate the best checkpoint on each available split and write ``final_metrics.json``."""
    import pyro

    model, vocab, _ = run_dir.load_model("best", device=device)
    pyro.set_rng_seed(config.seed)  # the estimates sample: seed them so reruns agree exactly
    results = {}
    for split, dataset in datasets.items():
        if dataset is None:
            continue
        metrics = evaluate_split(
            model, vocab, dataset, config.eval_batch_size, config.eval_iw_samples, config.progress,
            mi_points=config.eval_mi_points,
        )
        print(format_table(f"{split} ({run_dir.path})", metrics))
        results[split] = jsonable(metrics)
    atomic_write_json(run_dir.path / "final_metrics.json", results)
