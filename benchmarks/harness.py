"""The measuring harness of the benchmarks that time pyrovae against a reference in the same run.

Each benchmark here compares *runners* (pyrovae against plain PyTorch, every objective against
the ELBO, every flow against the Gaussian guide) and reports time ratios to a reference runner.
A ratio is only worth reading if all runners met the same machine, so all of them measure the
same way, through this module:

* the options every benchmark takes (:func:`benchmark_arguments`; :func:`fill_defaults` for the
  full and the ``--small`` preset; :func:`prepare` sets threads and seeds);
* :func:`interleaved`: one block of work per runner in turn, the order reversed every repeat
  (A B C, C B A, ...), so that drifts of the machine (other processes, clocks, caches) hit all
  runners alike; wall-clock and process-CPU seconds per block, the device synchronised around
  every block (:func:`sync`);
* :func:`summarise`: medians of the block times (a block hit by another process is an outlier,
  not noise to average), their ratio to the reference, the median of the ratios of blocks of the
  same repeat ("paired"), and the same ratio with CPU time (the least sensitive to contention);
* :class:`Contention`: how many cores *other* processes kept busy before and during the run
  (Linux ``/proc/stat``): on a shared machine it decides which figures are comparable;
* :func:`describe_machine`, :func:`result_path`, :func:`write_results` (JSON),
  :func:`print_table` and :func:`print_ratios`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyro
import torch

RESULTS = Path(__file__).resolve().parent / "results"

#: Cores used by other processes above which the run is reported as contended.
CONTENDED_CORES = 0.2


# ---------------------------------------------------------------------------------- options
def benchmark_arguments(description: str) -> argparse.ArgumentParser:
    """The options of every benchmark; ``None`` defaults are filled by :func:`fill_defaults`."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None,
                   help="text file, one tokenised sentence a line (default: bundled Austen train split)")
    p.add_argument("--small", action="store_true", help="tiny model and few steps (a smoke run, not a benchmark)")
    p.add_argument("--steps", type=int, help="timed training steps per block")
    p.add_argument("--repeats", type=int, help="timed blocks per runner")
    p.add_argument("--batch-size", type=int, help="sentences per batch")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: torch's); use 1 on a shared machine (benchmarks/README.md)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None,
                   help="where to write the results (default: benchmarks/results/NAME-DEVICE[-small].json)")
    return p


def fill_defaults(args: argparse.Namespace, presets: Mapping[str, Mapping[str, Any]]) -> argparse.Namespace:
    """Options left unset take their value from ``presets["small"]`` with ``--small``, else ``presets["default"]``."""
    for key, value in presets["small" if args.small else "default"].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    return args


def prepare(args: argparse.Namespace) -> torch.device:
    """Apply ``--threads`` and ``--seed`` (torch and Pyro); the device of ``--device``."""
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    pyro.set_rng_seed(args.seed)
    return torch.device(args.device)


# ----------------------------------------------------------------------------------- timing
def sync(device: torch.device) -> None:
    """Wait for the device's queued work, so that a block's time includes all of it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(runners: Mapping[str, Callable[[], Any]], repeats: int, device: torch.device) -> dict[str, dict[str, list[float]]]:
    """Wall-clock and process-CPU seconds of ``repeats`` blocks of each runner (a runner runs one block).

    Runners alternate block by block and the order is reversed every repeat (A B C, C B A, ...),
    so slow drifts of the machine (other processes, thermal state) hit all of them alike.
    """
    names = list(runners)
    times: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in names}
    for rep in range(repeats):
        for name in names if rep % 2 == 0 else names[::-1]:
            sync(device)
            wall, cpu = time.perf_counter(), time.process_time()
            runners[name]()
            sync(device)
            times[name]["wall"].append(time.perf_counter() - wall)
            times[name]["cpu"].append(time.process_time() - cpu)
    return times


def summarise(
    times: Mapping[str, Mapping[str, list[float]]], reference: str, per_block: Mapping[str, float]
) -> dict[str, dict[str, Any]]:
    """Medians per runner and time ratios to ``reference`` (> 1: slower than the reference).

    ``per_block`` gives the work one block does, by unit (``{"step": 10, "token": 7412}``): each
    adds ``ms_per_<unit>`` and ``<unit>s_per_second`` at the median block time.
    """
    ref_wall, ref_cpu = times[reference]["wall"], times[reference]["cpu"]
    out = {}
    for name, t in times.items():
        wall = statistics.median(t["wall"])
        entry: dict[str, Any] = {
            "block_wall_s": t["wall"],
            "block_cpu_s": t["cpu"],
            "median_block_s": wall,
            "median_block_cpu_s": statistics.median(t["cpu"]),
            "ratio": wall / statistics.median(ref_wall),
            "paired_ratio": statistics.median(a / b for a, b in zip(t["wall"], ref_wall)),
            "cpu_ratio": statistics.median(t["cpu"]) / statistics.median(ref_cpu),
        }
        for unit, count in per_block.items():
            entry[f"ms_per_{unit}"] = 1000 * wall / count
            entry[f"{unit}s_per_second"] = count / wall
        out[name] = entry
    return out


# ------------------------------------------------------------------------------- contention
def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine spent busy so far (Linux ``/proc/stat``), or None elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    except (OSError, ValueError, IndexError):
        return None
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Contention:
    """Cores kept busy by *other* processes: machine busy time minus this process's CPU time.

    Constructing it samples the machine for ``settle_s`` seconds while this process sleeps
    (:attr:`before`) and warns if it is already contended; :meth:`during` is the average since.
    None where ``/proc/stat`` cannot be read.
    """

    def __init__(self, settle_s: float = 1.0) -> None:
        self.before = self._window(lambda: time.sleep(settle_s))
        if self.before is not None and self.before > CONTENDED_CORES:
            print(f"WARNING: other processes kept {self.before:.2f} of {os.cpu_count()} cores busy before "
                  "the start: timings will be noisy (interleaving keeps the ratios fair, not the absolute figures)")
        self._busy, self._own, self._wall = _busy_cpu_seconds(), time.process_time(), time.perf_counter()

    @staticmethod
    def _window(wait: Callable[[], None]) -> float | None:
        busy, own, wall = _busy_cpu_seconds(), time.process_time(), time.perf_counter()
        wait()
        end = _busy_cpu_seconds()
        if busy is None or end is None:
            return None
        return max(0.0, (end - busy) - (time.process_time() - own)) / (time.perf_counter() - wall)

    def during(self) -> float | None:
        """Average cores used by other processes since construction."""
        busy = _busy_cpu_seconds()
        if busy is None or self._busy is None:
            return None
        others = (busy - self._busy) - (time.process_time() - self._own)
        return max(0.0, others) / (time.perf_counter() - self._wall)

    def report(self) -> dict[str, float | None]:
        """``{"other_processes_cores_before": ..., "other_processes_cores_during": ...}``, printed too."""
        during = self.during()
        if during is not None:
            print(f"other processes used {during:.2f} cores on average during the run"
                  + (" (WARNING: contended machine)" if during > CONTENDED_CORES else ""))
        return {
            "other_processes_cores_before": None if self.before is None else round(self.before, 3),
            "other_processes_cores_during": None if during is None else round(during, 3),
        }


# -------------------------------------------------------------------------------- reporting
def device_name(device: torch.device) -> str:
    """``cpu`` or ``cuda-<GPU model>``: the device part of result file names."""
    if device.type == "cuda":
        return "cuda-" + torch.cuda.get_device_name(device).replace(" ", "_")
    return "cpu"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine(device: torch.device) -> dict[str, Any]:
    """What the figures were measured on: device, library versions, threads, cores, processor."""
    return {
        "device": device_name(device), "torch": torch.__version__, "pyro": pyro.__version__,
        "python": platform.python_version(), "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "processor": _cpu_model(),
    }


def result_path(args: argparse.Namespace, name: str, device: torch.device) -> Path:
    """``--json``, or ``benchmarks/results/<name>-<device>[-small].json``."""
    return args.json or RESULTS / f"{name}-{device_name(device)}{'-small' if args.small else ''}.json"


def write_results(path: Path, results: Mapping[str, Any]) -> None:
    """Write ``results`` as indented JSON to ``path`` (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {path}")


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]], left: set[int]) -> None:
    """Print ``rows`` under ``header`` in aligned columns, those numbered in ``left`` left-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(("{:<%d}" if i in left else "{:>%d}") % w for i, w in enumerate(widths))
    print(fmt.format(*header))
    for row in rows:
        print(fmt.format(*row))


def print_ratios(title: str, first_column: str, summary: Mapping[str, Mapping[str, Any]]) -> None:
    """Print ``title`` and the ms/step, ratio, paired ratio and CPU-time ratio of every runner of ``summary``."""
    print(f"\n{title}")
    print_table(
        (first_column, "ms/step", "ratio", "paired", "cpu-time"),
        [(label, f"{r['ms_per_step']:.1f}", f"{r['ratio']:.3f}", f"{r['paired_ratio']:.3f}", f"{r['cpu_ratio']:.3f}")
         for label, r in summary.items()],
        left={0},
    )
