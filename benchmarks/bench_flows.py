#!/usr/bin/env python
"""Cost of flow posteriors and richer priors relative to the Gaussian guide, same LSTM VAE, same run.

1. Training step: every setting runs the trainer's step (``VAELoss(vae, ELBO())(batch)``,
   backward, gradient clipping, Adam) on the same batches of the LSTM VAE of models/lstm_vae.py;
   settings alternate block by block (order reversed every repeat) and the median block time of
   each is divided by the Gaussian guide's (``normal``: analytic KL, the default).
2. Mutual information over ``--mi-sentences`` sentences (``mutual_information`` of the aggregate
   posterior, one code per sentence): scoring every code under every sentence's posterior, which
   an IAF does through its sequential inverse. Its cost grows as N^2.

    python benchmarks/bench_flows.py --threads 1            # bundled corpus, CPU-sized model
    python benchmarks/bench_flows.py --small --steps 2 --repeats 2 --mi-sentences 16   # smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import pyro
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_lstm_vae import (  # noqa: E402
    comparison_arguments, comparison_defaults, interleaved, load_model_file, make_batches, training_block,
)

from pyrovae.infer import ELBO  # noqa: E402
from pyrovae.latent import posterior_factory, prior_factory  # noqa: E402
from pyrovae.metrics import AggregatePosterior, mutual_information  # noqa: E402
from pyrovae.train.loss_module import VAELoss  # noqa: E402

#: label -> (posterior, its options, prior, its options, ELBO options)
SETTINGS = {
    "normal": ("normal", {}, "standard_normal", {}, {}),
    "normal, Monte Carlo KL": ("normal", {}, "standard_normal", {}, {"analytic_kl": False}),
    "iaf k=1": ("iaf", {"steps": 1}, "standard_normal", {}, {}),
    "iaf k=4": ("iaf", {"steps": 4}, "standard_normal", {}, {}),
    "iaf k=4 stable": ("iaf", {"steps": 4, "stable": True}, "standard_normal", {}, {}),
    "iaf k=4 shared": ("iaf", {"steps": 4, "conditional": False}, "standard_normal", {}, {}),
    "planar k=4": ("planar", {"steps": 4}, "standard_normal", {}, {}),
    "normal + mog K=10": ("normal", {}, "mog", {"components": 10}, {}),
    "normal + vamp K=50": ("normal", {}, "vamp", {"components": 50}, {}),
    "iaf k=4 + vamp K=50": ("iaf", {"steps": 4}, "vamp", {"components": 50}, {}),
}
#: settings whose mutual information is timed (planar flows cannot score foreign points)
MI_SETTINGS = ("normal", "iaf k=1", "iaf k=4")


def parse_args(argv=None) -> argparse.Namespace:
    p = comparison_arguments(__doc__, HERE / "results" / "flows-cpu.json", "setting")
    p.add_argument("--mi-sentences", type=int, default=128, help="N, sentences in the mutual-information timing")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    return comparison_defaults(p.parse_args(argv))


def build(model_file, vocab, sizes: dict, setting: tuple):
    posterior, posterior_options, prior, prior_options, _ = setting
    return model_file.build(
        vocab,
        **sizes,
        posterior=posterior_factory(posterior, **posterior_options),
        prior=prior_factory(prior, **prior_options),
    )


def time_training_steps(args, model_file, vocab, sizes, batches, device) -> dict:
    runners = {}
    for label, setting in SETTINGS.items():
        torch.manual_seed(0)
        loss_module = VAELoss(build(model_file, vocab, sizes, setting), ELBO(**setting[4]))
        optimizer = torch.optim.Adam(loss_module.parameters(), lr=1e-3)

        step_block = training_block(loss_module, optimizer, batches[: args.steps])
        step_block()  # warm-up
        runners[label] = step_block
    times = interleaved(runners, args.repeats, device)
    reference = times["normal"]
    return {
        label: {
            "block_wall_s": t["wall"],
            "block_cpu_s": t["cpu"],
            "median_block_s": statistics.median(t["wall"]),
            "ms_per_step": 1000 * statistics.median(t["wall"]) / args.steps,
            "ratio_to_normal": statistics.median(t["wall"]) / statistics.median(reference["wall"]),
            # the same with blocks of the same repeat paired, and with process CPU time (less
            # sensitive to other processes on a shared machine)
            "paired_ratio": statistics.median(a / b for a, b in zip(t["wall"], reference["wall"])),
            "cpu_ratio": statistics.median(t["cpu"]) / statistics.median(reference["cpu"]),
        }
        for label, t in times.items()
    }


def time_mutual_information(args, model_file, vocab, sizes, dataset, device) -> dict:
    from pyrovae.data import make_loader

    loader = make_loader(dataset, vocab, args.batch_size, shuffle=True, seed=args.seed)
    batches, count = [], 0
    for batch in loader:
        batches.append(batch.to(device))
        count += batch.size
        if count >= args.mi_sentences:
            break
    results = {}
    for label in MI_SETTINGS:
        torch.manual_seed(0)
        vae = build(model_file, vocab, sizes, SETTINGS[label]).eval()
        with torch.no_grad(), pyro.validation_enabled(False):
            posterior = AggregatePosterior.collect(vae.guide, batches)
            walls = []
            for _ in range(max(1, args.repeats // 2)):
                start = time.perf_counter()
                estimate = mutual_information(posterior)
                walls.append(time.perf_counter() - start)
        results[label] = {"sentences": posterior.num_points, "block_wall_s": walls, "median_s": statistics.median(walls),
                          "mutual_information_nats": estimate.value}
    reference = results["normal"]["median_s"]
    for entry in results.values():
        entry["ratio_to_normal"] = entry["median_s"] / reference
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device("cpu")
    _, vocab, dataset, batches = make_batches(args, device)
    sizes = dict(embed_dim=32, hidden_dim=32, latent_dim=8) if args.small else dict(embed_dim=256, hidden_dim=256, latent_dim=32)
    model_file = load_model_file(HERE.parent / "models" / "lstm_vae.py")

    steps = time_training_steps(args, model_file, vocab, sizes, batches, device)
    print(f"training-step cost relative to the Gaussian guide ({args.steps} steps x {args.repeats} blocks, "
          f"batch {args.batch_size}, {sizes}, {torch.get_num_threads()} threads)")
    for label, r in steps.items():
        print(f"  {label:24s} {r['ms_per_step']:8.1f} ms/step   {r['ratio_to_normal']:6.3f}x   "
              f"(paired {r['paired_ratio']:6.3f}x, cpu-time {r['cpu_ratio']:6.3f}x)")
    mi = time_mutual_information(args, model_file, vocab, sizes, dataset, device)
    print(f"mutual information over {mi['normal']['sentences']} sentences (cost grows as N^2)")
    for label, r in mi.items():
        print(f"  {label:24s} {r['median_s']:8.3f} s   {r['ratio_to_normal']:7.1f}x")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {label: {"posterior": s[0], "posterior_options": s[1], "prior": s[2], "prior_options": s[3], "elbo": s[4]}
                for label, s in SETTINGS.items()}
    args.json.write_text(json.dumps({
        "settings": settings,
        "model": sizes,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "pyro": pyro.__version__,
        "training_step": steps,
        "mutual_information": mi,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
