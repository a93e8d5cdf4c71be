#!/usr/bin/env python
"""Per-step cost of each objective against the plain ELBO, on the LSTM VAE of models/lstm_vae.py.

Every objective runs the trainer's step (``workload.train_step``: ``VAELoss(vae, objective)(batch)``,
backward, gradient clipping, Adam, ``objective.advance``) on the same batches with validation off
(as the trainer runs every batch after the first); the objectives alternate block by block (order
reversed every repeat) and the median block time of each is divided by the ELBO's. Target: < 1.05x
(aggressive training changes the procedure, not the step, and is not timed here: its cost is its
inner-loop length, logged by the trainer).

    python benchmarks/bench_objectives.py --threads 1     # bundled corpus, CPU-sized model
    python benchmarks/bench_objectives.py --small --steps 2 --repeats 2   # smoke run
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import workload  # noqa: E402

from pyrovae.infer import OBJECTIVES  # noqa: E402
from pyrovae.train.loss_module import VAELoss  # noqa: E402

#: name -> (registered objective, options); targets are nats per sentence or per dimension.
OBJECTIVE_SETTINGS = {
    "elbo": ("elbo", {}),
    "beta=0.5": ("beta", {"beta": 0.5}),
    "cyclical annealing": ("annealing", {"schedule": "cyclical(total_steps=1000,cycles=4)"}),
    "free bits per dim 0.5": ("free_bits", {"per_dim": 0.5}),
    "free bits total 8": ("free_bits", {"total": 8.0}),
    "soft free bits 8": ("soft_free_bits", {"target": 8.0}),
    "mdr 8": ("mdr", {"target": 8.0}),
    "mdr per dim 0.25": ("mdr", {"per_dim": 0.25}),
    "beta_c C=15": ("beta_c", {"capacity": 15.0}),
    "info_vae": ("info_vae", {}),
    "free bits + cyclical": ("free_bits", {"per_dim": 0.5, "kl_weight": "cyclical(total_steps=1000)"}),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The shared options with the defaults of ``workload.COMPARISON_PRESETS``."""
    return harness.fill_defaults(harness.benchmark_arguments(__doc__).parse_args(argv), workload.COMPARISON_PRESETS)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and write its result file."""
    args = parse_args(argv)
    device = harness.prepare(args)
    contention = harness.Contention()
    corpus = workload.load_corpus(args.data, args.batch_size, args.steps, device, args.seed)
    sizes = workload.model_sizes(args)
    loss_modules = {}
    for label, (name, options) in OBJECTIVE_SETTINGS.items():
        torch.manual_seed(args.seed)
        loss_module = VAELoss(workload.build_vae(corpus.codec, sizes), OBJECTIVES.build(name, **options)).to(device)
        loss_module.objective.start(steps_per_epoch=len(corpus.batches), total_steps=1000)
        with torch.no_grad():
            loss_module(corpus.batches[0])  # sizes lazily shaped multipliers before the optimizer sees them
        loss_modules[label] = loss_module
    steps = workload.compare_training_steps(loss_modules, corpus.batches[: args.steps], args.repeats, "elbo", device)

    env = harness.describe_machine(device) | contention.report()
    harness.print_ratios(f"per-step cost relative to the ELBO ({args.steps} steps x {args.repeats} blocks, batch "
                         f"{args.batch_size}, {sizes}, {env['threads']} threads)", "objective", steps)
    harness.write_results(harness.result_path(args, "objectives", device), {
        "settings": {k: list(v) for k, v in OBJECTIVE_SETTINGS.items()},
        "config": {**sizes, "batch_size": args.batch_size, "steps_per_block": args.steps, "repeats": args.repeats,
                   "data": corpus.describe()},
        "environment": env,
        "results": steps,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
