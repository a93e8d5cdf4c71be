"""``pyrovae curves RUN...``: training curves of runs as one PNG."""

from __future__ import annotations

import argparse

HELP = """Plot the training logs (RUN/metrics.jsonl) of one or more runs against optimizer steps: loss,
rate and distortion (nats per sentence; training windows as lines, validation as points) and a
panel for every piece of objective state the runs logged (the KL weight of an annealing schedule,
an MDR multiplier, a beta_C capacity, ...). Writes one PNG (default curves.png)."""


def add_parser(commands) -> None:
    parser = commands.add_parser("curves", help="training curves of runs (loss, rate, distortion, objective state)", description=HELP)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run directories")
    parser.add_argument("--out", default="curves.png", metavar="FILE.png", help="the figure to write (default curves.png)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pyrovae.errors import CheckpointError
    from pyrovae.plots.curves import plot_training_curves
    from pyrovae.train.run_directory import RunDirectory
    from pyrovae.train.run_log import JSONL_NAME, read_log

    logs = {}
    for path in args.runs:
        run_dir = RunDirectory(path)
        run_dir.require()
        records = read_log(run_dir.path)
        if not records:
            raise CheckpointError(f"{run_dir.path} has no training log ({JSONL_NAME} is missing or empty): train it with `pyrovae fit`")
        label = run_dir.path.resolve().name
        logs[label if label not in logs else str(run_dir.path)] = records
    out = plot_training_curves(logs, Path(args.out))
    print(f"wrote {out} ({len(logs)} run{'s' if len(logs) > 1 else ''})")
    return 0
