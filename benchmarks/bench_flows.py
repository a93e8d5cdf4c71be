#!/usr/bin/env python
"""Cost of flow posteriors and richer priors relative to the Gaussian guide, same LSTM VAE, same run.

1. Training step: every setting runs the trainer's step (``workload.train_step``:
   ``VAELoss(vae, ELBO())(batch)``, backward, gradient clipping, Adam), validation off, on the same
   batches of the LSTM VAE of models/lstm_vae.py;
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
import statistics
import sys
import time
from pathlib import Path

import pyro
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import workload  # noqa: E402

from pyrovae.data import make_loader  # noqa: E402
from pyrovae.infer import ELBO  # noqa: E402
from pyrovae.latent import posterior_factory, prior_factory  # noqa: E402
from pyrovae.metrics import AggregatePosterior, mutual_information  # noqa: E402
from pyrovae.text import TokenBatch, Vocabulary  # noqa: E402
from pyrovae.train.loss_module import VAELoss  # noqa: E402
from pyrovae.vae import TextVAE  # noqa: E402

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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The shared options, ``--mi-sentences``, and the defaults of ``workload.COMPARISON_PRESETS``."""
    p = harness.benchmark_arguments(__doc__)
    p.add_argument("--mi-sentences", type=int, default=128, help="N, sentences in the mutual-information timing")
    return harness.fill_defaults(p.parse_args(argv), workload.COMPARISON_PRESETS)


def build(codec: Vocabulary, sizes: dict[str, int], setting: tuple) -> TextVAE:
    """The LSTM VAE with the posterior and prior of ``setting``, made by the command line's factories."""
    posterior, posterior_options, prior, prior_options, _ = setting
    return workload.build_vae(codec, sizes, posterior=posterior_factory(posterior, **posterior_options),
                              prior=prior_factory(prior, **prior_options))


def mi_batches(args: argparse.Namespace, corpus: workload.Corpus, device: torch.device) -> list[TokenBatch]:
    """Batches of the first ``--mi-sentences`` (or a few more) sentences in training order."""
    batches, count = [], 0
    for batch in make_loader(corpus.dataset, args.batch_size, shuffle=True, seed=args.seed):
        batches.append(batch.to(device))
        count += batch.size
        if count >= args.mi_sentences:
            break
    return batches


def time_mutual_information(args: argparse.Namespace, corpus: workload.Corpus, sizes: dict[str, int],
                            device: torch.device) -> dict:
    """Seconds of ``mutual_information`` over the same sentences for each of :data:`MI_SETTINGS`."""
    batches = mi_batches(args, corpus, device)
    results = {}
    for label in MI_SETTINGS:
        torch.manual_seed(args.seed)
        vae = build(corpus.codec, sizes, SETTINGS[label]).to(device).eval()
        with torch.no_grad(), pyro.validation_enabled(False):
            posterior = AggregatePosterior.collect(vae.guide, batches)
            walls = []
            for _ in range(max(1, args.repeats // 2)):
                harness.sync(device)
                start = time.perf_counter()
                estimate = mutual_information(posterior)
                harness.sync(device)
                walls.append(time.perf_counter() - start)
        results[label] = {"sentences": posterior.num_points, "block_wall_s": walls, "median_s": statistics.median(walls),
                          "mutual_information_nats": estimate.value}
    reference = results["normal"]["median_s"]
    for entry in results.values():
        entry["ratio"] = entry["median_s"] / reference
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and write its result file."""
    args = parse_args(argv)
    device = harness.prepare(args)
    contention = harness.Contention()
    corpus = workload.load_corpus(args.data, args.batch_size, args.steps, device, args.seed)
    sizes = workload.model_sizes(args)

    loss_modules = {}
    for label, setting in SETTINGS.items():
        torch.manual_seed(args.seed)
        loss_modules[label] = VAELoss(build(corpus.codec, sizes, setting), ELBO(**setting[4])).to(device)
    steps = workload.compare_training_steps(loss_modules, corpus.batches[: args.steps], args.repeats, "normal", device)
    harness.print_ratios(f"training-step cost relative to the Gaussian guide ({args.steps} steps x {args.repeats} "
                         f"blocks, batch {args.batch_size}, {sizes}, {torch.get_num_threads()} threads)", "setting", steps)
    mi = time_mutual_information(args, corpus, sizes, device)
    print(f"\nmutual information over {mi['normal']['sentences']} sentences (cost grows as N^2)")
    harness.print_table(("setting", "seconds", "ratio"),
                        [(label, f"{r['median_s']:.3f}", f"{r['ratio']:.1f}") for label, r in mi.items()], left={0})

    settings = {label: {"posterior": s[0], "posterior_options": s[1], "prior": s[2], "prior_options": s[3], "elbo": s[4]}
                for label, s in SETTINGS.items()}
    harness.write_results(harness.result_path(args, "flows", device), {
        "settings": settings,
        "config": {**sizes, "batch_size": args.batch_size, "steps_per_block": args.steps, "repeats": args.repeats,
                   "data": corpus.describe()},
        "environment": harness.describe_machine(device) | contention.report(),
        "training_step": steps,
        "mutual_information": mi,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
