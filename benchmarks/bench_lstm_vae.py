#!/usr/bin/env python
"""pyrovae vs plain PyTorch on the LSTM sentence VAE of ``models/lstm_vae.py``.

In one process, on identical batches, this times

1. a **training step** (forward + backward + gradient clipping + Adam step): pyrovae exactly as its
   trainer runs it, ``VAELoss(vae, ELBO())(batch)``, against a hand-written ``nn.Module`` with the
   same layers and loss (``benchmarks/plain_lstm_vae.py``);
2. the **importance-weighted log-likelihood** (``K`` samples per sentence):
   ``pyrovae.infer.importance.importance_log_likelihood`` against a plain batched loop.

Before timing, the weights of the pyrovae model are copied into the plain one and the script
asserts that both give the same loss and gradients (same seed, so the same ``eps`` and dropout
masks) and the same importance-weighted estimates for the same samples: a benchmark of a
different network would be meaningless. The two implementations are interleaved (alternating
blocks, the first one alternating too) to cancel machine drift; medians over blocks are reported.

    python benchmarks/bench_lstm_vae.py                      # bundled Austen corpus
    python benchmarks/bench_lstm_vae.py --data ../shared/data/ptb/train.txt
    python benchmarks/bench_lstm_vae.py --small --steps 3    # quick smoke run

Results are printed as a table and written to ``benchmarks/results/lstm_vae-<device>.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pyro
import torch
from pyro.infer.util import is_validation_enabled

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from plain_lstm_vae import NAME_MAP, PlainLSTMVAE, load_from_pyrovae  # noqa: E402

from pyrovae.data import SentenceDataset, Vocabulary, default_corpus, make_loader, read_text_file  # noqa: E402
from pyrovae.infer import ELBO  # noqa: E402
from pyrovae.infer.importance import importance_log_likelihood  # noqa: E402
from pyrovae.train.loss_module import VAELoss  # noqa: E402

#: Defaults of a full run (CPU-friendly) and of ``--small``.
PRESETS = {
    "default": dict(
        embed_dim=256, hidden_dim=256, latent_dim=32, batch_size=32,
        steps=10, warmup=5, repeats=11, iw_samples=50, iw_batches=2, iw_repeats=7,
    ),
    "small": dict(
        embed_dim=32, hidden_dim=32, latent_dim=8, batch_size=8,
        steps=3, warmup=1, repeats=2, iw_samples=5, iw_batches=1, iw_repeats=1,
    ),
}
GRAD_CLIP = 5.0  # RunConfig.grad_clip default
LR = 1e-3  # RunConfig.lr default
#: logits elements per IW chunk for the plain loop (the budget pyrovae's estimator uses by default)
IW_ELEMENT_BUDGET = 2**26


# ------------------------------------------------------------------------------------ set-up
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=None,
                   help="text file, one tokenised sentence a line (default: bundled Austen train split)")
    p.add_argument("--small", action="store_true", help="tiny model and few steps (smoke test)")
    p.add_argument("--steps", type=int, help="timed training steps per block")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--warmup", type=int, help="untimed training steps per implementation")
    p.add_argument("--repeats", type=int, help="timed blocks per implementation")
    p.add_argument("--embed-dim", type=int)
    p.add_argument("--hidden-dim", type=int)
    p.add_argument("--latent-dim", type=int)
    p.add_argument("--iw-samples", type=int, help="K, importance samples per sentence")
    p.add_argument("--iw-batches", type=int, help="batches per IW block")
    p.add_argument("--iw-repeats", type=int, help="timed IW blocks per implementation")
    p.add_argument("--max-vocab", type=int, default=20000, help="vocabulary size cap")
    p.add_argument("--max-length", type=int, default=60, help="longest sentence kept (words)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-validation", action="store_true",
                   help="pyro.enable_validation(False) (default: Pyro's default, validation on)")
    p.add_argument("--no-variants", action="store_true",
                   help="do not also time pyrovae with validation off")
    p.add_argument("--profile", action="store_true",
                   help="after timing, print cProfile tables of one block of each implementation")
    p.add_argument("--json", type=Path, default=None,
                   help="where to write the results (default benchmarks/results/lstm_vae-<device>[-small].json)")
    args = p.parse_args(argv)
    preset = PRESETS["small" if args.small else "default"]
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def load_model_file(path: Path):
    spec = importlib.util.spec_from_file_location("bench_model_file", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_batches(args, device):
    path = args.data or default_corpus()["train"]
    sentences = read_text_file(path)
    vocab = Vocabulary.build(sentences, max_size=args.max_vocab)
    dataset = SentenceDataset(sentences, vocab, max_length=args.max_length)
    loader = make_loader(dataset, vocab, args.batch_size, shuffle=True, seed=args.seed)
    # full batches only, so every block does the same work
    batches = [b for b in loader if b.size == args.batch_size]
    needed = max(args.steps, args.warmup, args.iw_batches + 2)
    batches = (batches * math.ceil(needed / len(batches)))[:max(needed, len(batches))]
    return path, vocab, dataset, [b.to(device) for b in batches]


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return "cuda-" + torch.cuda.get_device_name(device).replace(" ", "_")
    return "cpu"


# ----------------------------------------------------------------------- equivalence checks
def check_equivalence(loss_module, plain, batches, tol=1e-4) -> dict:
    """Same loss and gradients for the same seed (train mode: same eps and dropout masks)."""
    vae = loss_module.vae
    plain_names = dict(plain.named_parameters())

    def pyrovae_name(plain_name):
        prefix = next(p for p in NAME_MAP if plain_name.startswith(p))
        return NAME_MAP[prefix] + plain_name[len(prefix):]

    vae_params = dict(vae.named_parameters())
    report = {}
    for mode in ("train", "eval"):
        loss_module.train(mode == "train")
        plain.train(mode == "train")
        worst_loss, worst_grad = 0.0, 0.0
        for i, batch in enumerate(batches):
            torch.manual_seed(1234 + i)
            loss_p = loss_module(batch)
            grads_p = torch.autograd.grad(loss_p, list(vae_params.values()), allow_unused=True)
            grads_p = dict(zip(vae_params, grads_p))
            torch.manual_seed(1234 + i)
            loss_r, _, _ = plain(batch.tokens, batch.lengths)
            grads_r = dict(zip(plain_names, torch.autograd.grad(loss_r, list(plain_names.values()))))
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
        report[mode] = {"max_abs_loss_diff": worst_loss, "max_rel_grad_diff": worst_grad,
                        "batches": len(batches)}
    loss_module.train()
    plain.train()
    return report


def plain_iw_chunk(batch, vocab_size, num_samples) -> int:
    per_sample = batch.size * (batch.tokens.shape[1] - 1) * vocab_size
    return max(1, min(num_samples, IW_ELEMENT_BUDGET // per_sample))


def check_iw(vae, plain, batches, num_samples, vocab_size) -> dict:
    """Same IW estimates for the same samples: pyrovae draws eps as [1] + chunks of c samples."""
    vae.eval()
    plain.eval()
    worst = 0.0
    for i, batch in enumerate(batches):
        chunk = max(1, plain_iw_chunk(batch, vocab_size, num_samples))
        torch.manual_seed(99 + i)
        ll_p = importance_log_likelihood(vae.model, vae.guide, batch, num_samples=num_samples,
                                         samples_per_chunk=chunk)
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
def train_step_pyrovae(loss_module, optimizer, batch):
    loss = loss_module(batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(loss_module.parameters(), GRAD_CLIP)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def comparison_arguments(description: str, default_json: Path, unit: str) -> argparse.ArgumentParser:
    """The options shared by the benchmarks that compare settings in timed blocks of steps."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None, help="a text file (default: the bundled corpus)")
    p.add_argument("--small", action="store_true", help="tiny model (smoke test)")
    p.add_argument("--steps", type=int, default=10, help="training steps per block")
    p.add_argument("--repeats", type=int, default=5, help=f"blocks per {unit}")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--json", type=Path, default=default_json)
    return p


def comparison_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """The fixed data settings of those benchmarks (and a small batch with ``--small``)."""
    args.max_vocab, args.max_length, args.seed = 20000, 60, 0
    args.warmup, args.iw_batches = 2, 0
    if args.small:
        args.batch_size = 8
    return args


def training_block(loss_module, optimizer, batches):
    """A function running one pyrovae training step per batch (validation off), advancing the
    objective's schedules and multipliers as the trainer does."""

    def block():
        with pyro.validation_enabled(False):
            for batch in batches:
                train_step_pyrovae(loss_module, optimizer, batch)
                loss_module.objective.advance()

    return block


def train_step_plain(plain, optimizer, batch):
    loss, _, _ = plain(batch.tokens, batch.lengths)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(plain.parameters(), GRAD_CLIP)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def without_validation(fn):
    """``fn`` run with ``pyro.enable_validation(False)`` (Pyro's and torch's argument checks off)."""

    def run():
        was = is_validation_enabled()
        pyro.enable_validation(False)
        try:
            fn()
        finally:
            pyro.enable_validation(was)

    return run


def interleaved(runners: dict, repeats: int, device) -> dict[str, dict[str, list[float]]]:
    """Wall and process-CPU seconds per block for each runner.

    Runners alternate block by block, and the order is reversed every repeat (A B C, C B A, ...),
    so slow drifts of the machine (other processes, thermal state) hit all of them alike.
    """
    names = list(runners)
    times = {n: {"wall": [], "cpu": []} for n in names}
    for rep in range(repeats):
        for name in names if rep % 2 == 0 else names[::-1]:
            sync(device)
            wall, cpu = time.perf_counter(), time.process_time()
            runners[name]()
            sync(device)
            times[name]["wall"].append(time.perf_counter() - wall)
            times[name]["cpu"].append(time.process_time() - cpu)
    return times


def summarise(times: dict, work: float, reference: str = "plain") -> dict:
    """Medians per runner, work per second, and time ratios to ``reference``."""
    out = {}
    ref_wall = times[reference]["wall"]
    ref_cpu = times[reference]["cpu"]
    for name, t in times.items():
        wall = statistics.median(t["wall"])
        out[name] = {
            "block_wall_s": t["wall"],
            "block_cpu_s": t["cpu"],
            "median_block_s": wall,
            "median_block_cpu_s": statistics.median(t["cpu"]),
            "per_second": work / wall,
            # time ratios to the plain reference (> 1: slower than plain PyTorch)
            "ratio": wall / statistics.median(ref_wall),
            "paired_ratio_median": statistics.median(a / b for a, b in zip(t["wall"], ref_wall)),
            "cpu_ratio": statistics.median(t["cpu"]) / statistics.median(ref_cpu),
        }
    return out


# ------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.no_validation:
        pyro.enable_validation(False)
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    pyro.set_rng_seed(args.seed)
    idle_check = others_cpu_load() if device.type == "cpu" else None

    data_path, vocab, dataset, batches = make_batches(args, device)
    build = load_model_file(REPO / "models" / "lstm_vae.py").build
    options = dict(latent_dim=args.latent_dim, embed_dim=args.embed_dim, hidden_dim=args.hidden_dim)
    vae = build(vocab, **options).to(device)
    dec = vae.decoder
    plain = PlainLSTMVAE(len(vocab), args.embed_dim, args.hidden_dim, args.latent_dim,
                         dropout=dec.dropout.p, pad_id=vocab.pad_id).to(device)
    load_from_pyrovae(plain, vae)
    loss_module = VAELoss(vae, ELBO()).to(device)

    config = {
        "model_file": "models/lstm_vae.py", **options, "dropout": dec.dropout.p,
        "word_dropout": dec.word_dropout.p, "vocab_size": len(vocab),
        "parameters": sum(p.numel() for p in vae.parameters()),
        "batch_size": args.batch_size, "steps_per_block": args.steps, "warmup_steps": args.warmup,
        "repeats": args.repeats, "iw_samples": args.iw_samples, "iw_batches": args.iw_batches,
        "iw_repeats": args.iw_repeats, "data": _short_path(data_path), "sentences": len(dataset),
        "optimizer": f"Adam(lr={LR}), clip_grad_norm={GRAD_CLIP}",
        "pyro_validation": is_validation_enabled(),
        "preset": "small" if args.small else "default",
    }
    env = {
        "device": device_name(device), "torch": torch.__version__, "pyro": pyro.__version__,
        "python": platform.python_version(), "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "processor": _cpu_model(),
    }
    print("configuration: " + ", ".join(f"{k}={v}" for k, v in config.items()))
    print("environment:   " + ", ".join(f"{k}={v}" for k, v in env.items()))
    if idle_check is not None and idle_check > 0.2:
        print(f"WARNING: other processes kept {idle_check:.2f} of {os.cpu_count()} cores busy before "
              "the start: timings will be noisy (interleaving keeps the ratios fair, not the "
              "absolute figures)")
    others = OthersLoad()

    # -- the two implementations must compute the same thing ---------------------------------
    equivalence = check_equivalence(loss_module, plain, batches[:2])
    iw_check = check_iw(vae, plain, batches[:1], min(args.iw_samples, 20), len(vocab))
    print(f"check: same loss and gradients for the same seed: {equivalence}")
    print(f"check: same IW estimates for the same samples: {iw_check}")

    # the third runner is pyrovae with Pyro/torch argument validation off (Pyro's default is on)
    variants = not args.no_validation and not args.no_variants

    # -- training step -------------------------------------------------------------------
    opt_p = torch.optim.Adam(loss_module.parameters(), lr=LR)
    opt_r = torch.optim.Adam(plain.parameters(), lr=LR)
    step_batches = batches[: args.steps]
    tokens = sum(b.num_tokens for b in step_batches)
    loss_module.train()
    plain.train()
    for batch in batches[: args.warmup]:
        train_step_pyrovae(loss_module, opt_p, batch)
        train_step_plain(plain, opt_r, batch)

    def run_p():
        for b in step_batches:
            train_step_pyrovae(loss_module, opt_p, b)

    def run_r():
        for b in step_batches:
            train_step_plain(plain, opt_r, b)

    runners = {"pyrovae": run_p, "plain": run_r}
    if variants:
        runners["pyrovae_no_validation"] = without_validation(run_p)
    train = summarise(interleaved(runners, args.repeats, device), tokens)
    train["tokens_per_block"] = tokens
    train["steps_per_block"] = len(step_batches)
    for name in runners:
        train[name]["ms_per_step"] = 1000 * train[name]["median_block_s"] / len(step_batches)
        train[name]["tokens_per_second"] = train[name].pop("per_second")

    # -- importance-weighted log-likelihood ----------------------------------------------
    vae.eval()
    plain.eval()
    iw_batches = batches[-args.iw_batches:]  # batches the checks did not use
    K = args.iw_samples
    chunks = [plain_iw_chunk(b, len(vocab), K) for b in iw_batches]

    def iw_p():
        for b in iw_batches:
            importance_log_likelihood(vae.model, vae.guide, b, num_samples=K)

    def iw_r():
        for b, c in zip(iw_batches, chunks):
            plain.importance_log_likelihood(b.tokens, b.lengths, K, c)

    iw_p(), iw_r()  # warm-up
    runners = {"pyrovae": iw_p, "plain": iw_r}
    if variants:
        runners["pyrovae_no_validation"] = without_validation(iw_p)
    sentences = sum(b.size for b in iw_batches)
    iw = summarise(interleaved(runners, args.iw_repeats, device), sentences)
    for name in runners:
        iw[name]["sentences_per_second"] = iw[name].pop("per_second")
    iw["sentences_per_block"] = sentences
    iw["tokens_per_block"] = sum(b.num_tokens for b in iw_batches)
    iw["plain_samples_per_chunk"] = chunks
    iw["pyrovae_call"] = f"importance_log_likelihood(vae.model, vae.guide, batch, num_samples={K})"

    during = others.cores()
    env["other_processes_cores_before"] = None if idle_check is None else round(idle_check, 3)
    env["other_processes_cores_during"] = None if during is None else round(during, 3)
    if during is not None:
        print(f"other processes used {during:.2f} cores on average during the run"
              + (" (WARNING: contended machine)" if during > 0.2 else ""))
    results = {"config": config, "environment": env, "checks": {"train": equivalence, "iw": iw_check},
               "train_step": train, "importance_log_likelihood": iw}
    print_table(results)
    if args.profile:
        vae.train()
        profile("pyrovae training step", run_p)
        profile("plain training step", run_r)
        vae.eval()
        profile(f"pyrovae importance_log_likelihood K={K}", iw_p)
        profile(f"plain importance-weighted loop K={K}", iw_r)
    out = args.json or HERE / "results" / f"lstm_vae-{device_name(device)}{'-small' if args.small else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {out}")
    return 0


def profile(title: str, fn, top: int = 15) -> None:
    """Print the functions with the most own time over one block of ``fn``."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    print(f"\n--- cProfile: {title} (one block, sorted by own time) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def _busy_cpu_seconds() -> float | None:
    """CPU seconds spent busy by the whole machine so far (Linux ``/proc/stat``), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    except (OSError, ValueError, IndexError):
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def others_cpu_load(seconds: float = 1.0) -> float | None:
    """Cores kept busy by other processes over the next ``seconds`` (this process idle)."""
    start, own = _busy_cpu_seconds(), time.process_time()
    time.sleep(seconds)
    end = _busy_cpu_seconds()
    if start is None or end is None:
        return None
    return max(0.0, (end - start) - (time.process_time() - own)) / seconds


class OthersLoad:
    """Cores used by other processes while the benchmark runs (machine busy time - ours)."""

    def __init__(self) -> None:
        self.busy, self.own, self.wall = _busy_cpu_seconds(), time.process_time(), time.perf_counter()

    def cores(self) -> float | None:
        busy = _busy_cpu_seconds()
        if busy is None or self.busy is None:
            return None
        others = (busy - self.busy) - (time.process_time() - self.own)
        return max(0.0, others) / (time.perf_counter() - self.wall)


def _short_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


LABELS = {
    "plain": "plain PyTorch",
    "pyrovae": "pyrovae",
    "pyrovae_no_validation": "pyrovae, validation off",
}


def print_table(r: dict) -> None:
    t, iw, c, env = r["train_step"], r["importance_log_likelihood"], r["config"], r["environment"]
    K = c["iw_samples"]
    names = [n for n in LABELS if n in t]
    rows = []
    for n in names:
        rows.append(("train step (fwd+bwd+clip+Adam)", LABELS[n], f"{t[n]['ms_per_step']:.2f}", "ms/step",
                     f"{t[n]['tokens_per_second']:.0f}", "tokens/s", f"{t[n]['ratio']:.3f}",
                     f"{t[n]['paired_ratio_median']:.3f}", f"{t[n]['cpu_ratio']:.3f}"))
    for n in names:
        ms = 1000 * iw[n]["median_block_s"] / iw["sentences_per_block"]
        rows.append((f"IW log-likelihood, K={K}", LABELS[n], f"{ms:.2f}", "ms/sentence",
                     f"{iw[n]['sentences_per_second']:.2f}", "sentences/s", f"{iw[n]['ratio']:.3f}",
                     f"{iw[n]['paired_ratio_median']:.3f}", f"{iw[n]['cpu_ratio']:.3f}"))
    header = ("benchmark", "implementation", "time", "unit", "throughput", "unit",
              "ratio", "paired", "cpu-time")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    left = {0, 1, 3, 5}
    fmt = "  ".join(("{:<%d}" if i in left else "{:>%d}") % w for i, w in enumerate(widths))
    print()
    print(f"LSTM VAE (models/lstm_vae.py: embed {c['embed_dim']}, hidden {c['hidden_dim']}, latent "
          f"{c['latent_dim']}, vocab {c['vocab_size']}), batch {c['batch_size']}, on {env['device']} "
          f"({env['threads']} threads); medians of {c['repeats']} blocks x {c['steps_per_block']} steps "
          f"and {c['iw_repeats']} blocks x {c['iw_batches']} IW batches")
    print("ratio = pyrovae time / plain time (median blocks); paired = median of per-repeat ratios; "
          "cpu-time = same with process CPU time")
    print(fmt.format(*header))
    for row in rows:
        print(fmt.format(*row))
    print(f"ratio train_step pyrovae/plain = {t['pyrovae']['ratio']:.3f} "
          f"(paired {t['pyrovae']['paired_ratio_median']:.3f}; target <= 1.15)")
    print(f"ratio importance_log_likelihood pyrovae/plain = {iw['pyrovae']['ratio']:.3f} "
          f"(paired {iw['pyrovae']['paired_ratio_median']:.3f})")


if __name__ == "__main__":
    sys.exit(main())
