#!/usr/bin/env python
"""pyrovae vs plain PyTorch on the LSTM sentence VAE of ``models/lstm_vae.py``.

What Pyro's machinery (traces, plates, distribution objects, the objective's accounting, argument
validation) costs against a hand-written ``nn.Module`` with the same layers and the same loss
(``benchmarks/plain_lstm_vae.py``). In one process, on identical batches, this times

1. a **training step**: pyrovae as its trainer takes it (``workload.train_step``:
   ``VAELoss(vae, ELBO())(batch)``, backward, gradient clipping, Adam) against the plain module's
   loss with the same backward, clipping and Adam;
2. the **importance-weighted log-likelihood** (``K`` samples per sentence):
   ``pyrovae.infer.importance.importance_log_likelihood`` against a plain batched loop.

Before timing, the pyrovae weights are copied into the plain module and the script asserts that
both give the same loss and gradients (same seed, so the same ``eps`` and dropout masks) and the
same importance-weighted estimates for the same samples: a benchmark of a different network would
be meaningless. Blocks of the runners are interleaved and medians reported (``harness``).

    python benchmarks/bench_lstm_vae.py --threads 1          # bundled Austen corpus
    python benchmarks/bench_lstm_vae.py --threads 1 --data ../shared/data/ptb/train.txt
    python benchmarks/bench_lstm_vae.py --small --steps 3    # quick smoke run

Results are printed as a table and written to ``benchmarks/results/lstm_vae-<device>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections.abc import Callable
from pathlib import Path

import pyro
import torch
from pyro.infer.util import is_validation_enabled

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import workload  # noqa: E402
from plain_lstm_vae import PlainLSTMVAE, load_from_pyrovae, pyrovae_name  # noqa: E402

from pyrovae.infer import ELBO  # noqa: E402
from pyrovae.infer.importance import importance_log_likelihood  # noqa: E402
from pyrovae.text import TokenBatch  # noqa: E402
from pyrovae.train.loss_module import VAELoss  # noqa: E402

#: Timing defaults of a full run and of ``--small`` (model and batch sizes: ``workload.SIZES``).
PRESETS = {
    "default": dict(workload.SIZES["default"], steps=10, warmup=5, repeats=11,
                    iw_samples=50, iw_batches=2, iw_repeats=7),
    "small": dict(workload.SIZES["small"], steps=3, warmup=1, repeats=2,
                  iw_samples=5, iw_batches=1, iw_repeats=1),
}
#: logits elements per IW chunk for the plain loop (the budget pyrovae's estimator uses by default)
IW_ELEMENT_BUDGET = 2**26
#: the runners, in table order
LABELS = {"plain": "plain PyTorch", "pyrovae": "pyrovae", "pyrovae_no_validation": "pyrovae, validation off"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The shared options, this benchmark's own, and the preset of ``--small`` or the full run."""
    p = harness.benchmark_arguments(__doc__)
    p.add_argument("--warmup", type=int, help="untimed training steps per implementation")
    p.add_argument("--embed-dim", type=int)
    p.add_argument("--hidden-dim", type=int)
    p.add_argument("--latent-dim", type=int)
    p.add_argument("--iw-samples", type=int, help="K, importance samples per sentence")
    p.add_argument("--iw-batches", type=int, help="batches per IW block")
    p.add_argument("--iw-repeats", type=int, help="timed IW blocks per implementation")
    p.add_argument("--max-vocab", type=int, default=workload.MAX_VOCAB, help="vocabulary size cap")
    p.add_argument("--max-length", type=int, default=workload.MAX_LENGTH, help="longest sentence kept (words)")
    p.add_argument("--no-validation", action="store_true",
                   help="pyro.enable_validation(False) (default: Pyro's default, validation on)")
    p.add_argument("--no-variants", action="store_true", help="do not also time pyrovae with validation off")
    p.add_argument("--profile", action="store_true",
                   help="after timing, print cProfile tables of one block of each implementation")
    return harness.fill_defaults(p.parse_args(argv), PRESETS)


# ----------------------------------------------------------------------- equivalence checks
def check_equivalence(loss_module: VAELoss, plain: PlainLSTMVAE, batches: list[TokenBatch], tol: float = 1e-4) -> dict:
    """Same loss and gradients for the same seed (train mode: same eps and dropout masks)."""
    vae_params = dict(loss_module.vae.named_parameters())
    plain_params = dict(plain.named_parameters())
    report = {}
    for mode in ("train", "eval"):
        loss_module.train(mode == "train")
        plain.train(mode == "train")
        worst_loss, worst_grad = 0.0, 0.0
        for i, batch in enumerate(batches):
            torch.manual_seed(1234 + i)
            loss_p, _ = loss_module(batch)
            grads_p = dict(zip(vae_params, torch.autograd.grad(loss_p, list(vae_params.values()), allow_unused=True)))
            torch.manual_seed(1234 + i)
            loss_r, _, _ = plain(batch.tokens, batch.lengths)
            grads_r = dict(zip(plain_params, torch.autograd.grad(loss_r, list(plain_params.values()))))
            diff = abs(loss_p.item() - loss_r.item())
            worst_loss = max(worst_loss, diff)
            if not diff <= tol * max(1.0, abs(loss_r.item())):
                raise AssertionError(
                    f"{mode} loss differs on batch {i}: pyrovae {loss_p.item():.6f} vs plain "
                    f"{loss_r.item():.6f}: the reference is not the same network"
                )
            for name, g_r in grads_r.items():
                g_p = grads_p[pyrovae_name(name)]
                if g_p is None:
                    raise AssertionError(f"pyrovae parameter {pyrovae_name(name)} gets no gradient")
                rel = ((g_p - g_r).norm() / g_r.norm().clamp_min(1e-12)).item()
                worst_grad = max(worst_grad, rel)
                if not rel <= 1e-3:
                    raise AssertionError(f"{mode} gradient of {name} differs (relative error {rel:.2e})")
        report[mode] = {"max_abs_loss_diff": worst_loss, "max_rel_grad_diff": worst_grad, "batches": len(batches)}
    loss_module.train()
    plain.train()
    return report


def plain_iw_chunk(batch: TokenBatch, vocab_size: int, num_samples: int) -> int:
    """Samples per chunk of the plain loop: as many as fit pyrovae's default element budget."""
    per_sample = batch.size * (batch.tokens.shape[1] - 1) * vocab_size
    return max(1, min(num_samples, IW_ELEMENT_BUDGET // per_sample))


def check_iw(vae: torch.nn.Module, plain: PlainLSTMVAE, batches: list[TokenBatch], num_samples: int, vocab_size: int) -> dict:
    """Same IW estimates for the same samples: pyrovae draws eps as [1] + chunks of c samples."""
    vae.eval()
    plain.eval()
    worst = 0.0
    for i, batch in enumerate(batches):
        chunk = plain_iw_chunk(batch, vocab_size, num_samples)
        torch.manual_seed(99 + i)
        ll_p = importance_log_likelihood(vae.model, vae.guide, batch, num_samples=num_samples, samples_per_chunk=chunk)
        torch.manual_seed(99 + i)
        shapes, remaining = [1], num_samples - 1
        while remaining > 0:
            shapes.append(min(chunk, remaining))
            remaining -= shapes[-1]
        B, D = batch.size, plain.latent_dim
        eps = torch.cat([torch.randn(k, B, D, device=batch.tokens.device) for k in shapes])
        ll_r = plain.importance_log_likelihood(batch.tokens, batch.lengths, num_samples, chunk, eps=eps)
        diff = (ll_p.double() - ll_r.double()).abs().max().item()
        worst = max(worst, diff)
        if not diff <= 1e-3:
            raise AssertionError(f"IW estimates differ on batch {i} by {diff:.3e} nats for the same samples")
    vae.train()
    plain.train()
    return {"max_abs_diff_nats": worst, "how": "same eps (same seed, same draw shapes)"}


# ------------------------------------------------------------------------------------ timing
def plain_train_step(plain: PlainLSTMVAE, optimizer: torch.optim.Optimizer, batch: TokenBatch) -> None:
    """The reference's training step: its loss, then the backward, clipping and Adam of ``workload.train_step``."""
    loss, _, _ = plain(batch.tokens, batch.lengths)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(plain.parameters(), workload.GRAD_CLIP)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def with_variant(runners: dict[str, Callable[[], None]], variants: bool) -> dict[str, Callable[[], None]]:
    """``runners`` plus pyrovae's runner with validation off, if ``variants``."""
    if variants:
        runners["pyrovae_no_validation"] = workload.without_validation(runners["pyrovae"])
    return runners


def profile(title: str, runner: Callable[[], None], top: int = 15) -> None:
    """Print the functions with the most own time over one block of ``runner``."""
    profiler = cProfile.Profile()
    profiler.enable()
    runner()
    profiler.disable()
    print(f"\n--- cProfile: {title} (one block, sorted by own time) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def print_results(r: dict) -> None:
    """The table of both benchmarks and the two headline ratios."""
    t, iw, c, env = r["train_step"], r["importance_log_likelihood"], r["config"], r["environment"]
    rows = []
    for section, title, unit, work, digits in (
        (t, "train step (fwd+bwd+clip+Adam)", "step", "token", 0),
        (iw, f"IW log-likelihood, K={c['iw_samples']}", "sentence", "sentence", 2),
    ):
        for name in (n for n in LABELS if n in section):
            s = section[name]
            rows.append((title, LABELS[name], f"{s[f'ms_per_{unit}']:.2f}", f"ms/{unit}",
                         f"{s[f'{work}s_per_second']:,.{digits}f}", f"{work}s/s", f"{s['ratio']:.3f}",
                         f"{s['paired_ratio']:.3f}", f"{s['cpu_ratio']:.3f}"))
    print(f"\nLSTM VAE (models/lstm_vae.py: embed {c['embed_dim']}, hidden {c['hidden_dim']}, latent "
          f"{c['latent_dim']}, vocab {c['vocab_size']}), batch {c['batch_size']}, on {env['device']} "
          f"({env['threads']} threads); medians of {c['repeats']} blocks x {c['steps_per_block']} steps "
          f"and {c['iw_repeats']} blocks x {c['iw_batches']} IW batches")
    print("ratio = pyrovae time / plain time (median blocks); paired = median of per-repeat ratios; "
          "cpu-time = same with process CPU time")
    harness.print_table(("benchmark", "implementation", "time", "unit", "throughput", "unit", "ratio", "paired",
                         "cpu-time"), rows, left={0, 1, 3, 5})
    print(f"ratio train_step pyrovae/plain = {t['pyrovae']['ratio']:.3f} "
          f"(paired {t['pyrovae']['paired_ratio']:.3f}; target <= 1.05)")
    print(f"ratio importance_log_likelihood pyrovae/plain = {iw['pyrovae']['ratio']:.3f} "
          f"(paired {iw['pyrovae']['paired_ratio']:.3f})")


# ------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and write its result file."""
    args = parse_args(argv)
    if args.no_validation:
        pyro.enable_validation(False)
    device = harness.prepare(args)
    contention = harness.Contention()

    corpus = workload.load_corpus(args.data, args.batch_size, max(args.steps, args.warmup, args.iw_batches + 2),
                                  device, args.seed, args.max_vocab, args.max_length)
    codec, batches = corpus.codec, corpus.batches
    sizes = workload.model_sizes(args)
    vae = workload.build_vae(codec, sizes).to(device)
    dec = vae.decoder
    plain = PlainLSTMVAE(len(codec), args.embed_dim, args.hidden_dim, args.latent_dim,
                         dropout=dec.dropout.p, pad_id=codec.pad_id).to(device)
    load_from_pyrovae(plain, vae)
    loss_module = VAELoss(vae, ELBO()).to(device)

    config = {
        "model_file": "models/lstm_vae.py", **sizes, "dropout": dec.dropout.p,
        "word_dropout": dec.word_dropout.p, "vocab_size": len(codec),
        "parameters": sum(p.numel() for p in vae.parameters()),
        "batch_size": args.batch_size, "steps_per_block": args.steps, "warmup_steps": args.warmup,
        "repeats": args.repeats, "iw_samples": args.iw_samples, "iw_batches": args.iw_batches,
        "iw_repeats": args.iw_repeats, "data": corpus.describe(), "sentences": len(corpus.dataset),
        "optimizer": f"Adam(lr={workload.LR}), clip_grad_norm={workload.GRAD_CLIP}",
        "pyro_validation": is_validation_enabled(),
        "preset": "small" if args.small else "default",
    }
    env = harness.describe_machine(device)
    print("configuration: " + ", ".join(f"{k}={v}" for k, v in config.items()))
    print("environment:   " + ", ".join(f"{k}={v}" for k, v in env.items()))

    # -- the two implementations must compute the same thing ---------------------------------
    equivalence = check_equivalence(loss_module, plain, batches[:2])
    iw_check = check_iw(vae, plain, batches[:1], min(args.iw_samples, 20), len(codec))
    print(f"check: same loss and gradients for the same seed: {equivalence}")
    print(f"check: same IW estimates for the same samples: {iw_check}")

    # the third runner is pyrovae with Pyro/torch argument validation off (Pyro's default is on)
    variants = not args.no_validation and not args.no_variants

    # -- training step -------------------------------------------------------------------
    opt_p = torch.optim.Adam(loss_module.parameters(), lr=workload.LR)
    opt_r = torch.optim.Adam(plain.parameters(), lr=workload.LR)
    step_batches = batches[: args.steps]
    loss_module.train()
    plain.train()
    for batch in batches[: args.warmup]:
        workload.train_step(loss_module, opt_p, batch)
        plain_train_step(plain, opt_r, batch)

    def run_r() -> None:
        for b in step_batches:
            plain_train_step(plain, opt_r, b)

    train_runners = with_variant({"pyrovae": workload.training_block(loss_module, opt_p, step_batches),
                                  "plain": run_r}, variants)
    tokens = sum(b.num_tokens for b in step_batches)
    train = harness.summarise(harness.interleaved(train_runners, args.repeats, device), "plain",
                              {"step": len(step_batches), "token": tokens})
    train.update(tokens_per_block=tokens, steps_per_block=len(step_batches))

    # -- importance-weighted log-likelihood ----------------------------------------------
    vae.eval()
    plain.eval()
    iw_batches = batches[-args.iw_batches:]  # batches the checks did not use
    K = args.iw_samples
    chunks = [plain_iw_chunk(b, len(codec), K) for b in iw_batches]

    def iw_p() -> None:
        for b in iw_batches:
            importance_log_likelihood(vae.model, vae.guide, b, num_samples=K)

    def iw_r() -> None:
        for b, c in zip(iw_batches, chunks):
            plain.importance_log_likelihood(b.tokens, b.lengths, K, c)

    iw_p(), iw_r()  # warm-up
    iw_runners = with_variant({"pyrovae": iw_p, "plain": iw_r}, variants)
    sentences = sum(b.size for b in iw_batches)
    iw = harness.summarise(harness.interleaved(iw_runners, args.iw_repeats, device), "plain", {"sentence": sentences})
    iw.update(sentences_per_block=sentences, tokens_per_block=sum(b.num_tokens for b in iw_batches),
              plain_samples_per_chunk=chunks,
              pyrovae_call=f"importance_log_likelihood(vae.model, vae.guide, batch, num_samples={K})")

    env.update(contention.report())
    results = {"config": config, "environment": env, "checks": {"train": equivalence, "iw": iw_check},
               "train_step": train, "importance_log_likelihood": iw}
    print_results(results)
    if args.profile:
        vae.train()
        plain.train()
        profile("pyrovae training step", train_runners["pyrovae"])
        profile("plain training step", run_r)
        vae.eval()
        plain.eval()
        profile(f"pyrovae importance_log_likelihood K={K}", iw_p)
        profile(f"plain importance-weighted loop K={K}", iw_r)
    harness.write_results(harness.result_path(args, "lstm_vae", device), results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
