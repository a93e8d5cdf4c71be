#!/usr/bin/env python
"""Per-step cost of each objective against the plain ELBO, on the LSTM VAE of models/lstm_vae.py.

Every objective runs the trainer's step (``VAELoss(vae, objective)(batch)``, backward, gradient
clipping, Adam) on the same batches; the objectives alternate block by block (order reversed
every repeat) and the median block time of each is divided by the ELBO's. Target: < 1.05x
(aggressive training changes the procedure, not the step, and is not timed here: its cost is its
inner-loop length, logged by the trainer).

    python benchmarks/bench_objectives.py                 # bundled corpus, CPU-sized model
    python benchmarks/bench_objectives.py --small --steps 2 --repeats 2   # smoke run
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyro
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_lstm_vae import (  # noqa: E402
    comparison_arguments, comparison_defaults, interleaved, load_model_file, make_batches, training_block,
)

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


def parse_args(argv=None) -> argparse.Namespace:
    p = comparison_arguments(__doc__, HERE / "results" / "objectives-cpu.json", "objective")
    return comparison_defaults(p.parse_args(argv))


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.manual_seed(0)
    device = torch.device("cpu")
    _, vocab, _, batches = make_batches(args, device)
    sizes = dict(embed_dim=32, hidden_dim=32, latent_dim=8) if args.small else dict(embed_dim=256, hidden_dim=256, latent_dim=32)
    build = load_model_file(HERE.parent / "models" / "lstm_vae.py").build
    runners = {}
    for label, (name, options) in OBJECTIVE_SETTINGS.items():
        torch.manual_seed(0)
        loss_module = VAELoss(build(vocab, **sizes), OBJECTIVES.build(name, **options))
        loss_module.objective.start(steps_per_epoch=len(batches), total_steps=1000)
        with torch.no_grad():
            loss_module(batches[0])  # sizes lazily shaped multipliers before the optimizer sees them
        optimizer = torch.optim.Adam(loss_module.parameters(), lr=1e-3)

        step_block = training_block(loss_module, optimizer, batches[: args.steps])
        step_block()  # warm-up
        runners[label] = step_block
    times = interleaved(runners, args.repeats, device)
    reference = sorted(times["elbo"]["wall"])[len(times["elbo"]["wall"]) // 2]
    results = {}
    print(f"per-step cost relative to the ELBO ({args.steps} steps x {args.repeats} blocks, batch {args.batch_size}, {sizes})")
    for label, t in times.items():
        median = sorted(t["wall"])[len(t["wall"]) // 2]
        results[label] = {"median_block_s": median, "ms_per_step": 1000 * median / args.steps, "ratio_to_elbo": median / reference}
        print(f"  {label:24s} {1000 * median / args.steps:8.1f} ms/step   {median / reference:5.3f}x")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"settings": {k: list(v) for k, v in OBJECTIVE_SETTINGS.items()}, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
