"""``pyrovae compare RUN...``: a table of runs, the rate-distortion plane and marginal KL vs rate."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

HELP = """Compare runs on one split (default: valid). Each argument is a run directory or a `pyrovae
diagnose` report folder. A run's figures are read from what was saved, nothing is recomputed:
its newest diagnose report of the split inside the run folder (RUN/diagnose-SPLIT/report.json, or
any RUN/NAME/report.json that `diagnose --out RUN/NAME` wrote) first, then RUN/eval-SPLIT.json
(`pyrovae evaluate`), then RUN/final_metrics.json (`pyrovae fit`). A run without the aggregate-posterior
figures is named with the command that computes them; --compute-missing runs that diagnosis now,
into OUT/reports/RUN_NAME/ (the run folder is not written). Prints two tables and writes
OUT/runs.json, OUT/rate_distortion.png (distortion and ELBO against rate; Barkhof 2021, Fig. 4.3)
and OUT/rate_marginal_kl.png (marginal KL, KS and MMD against rate; Figs. 4.7-4.8)."""

#: Columns of the two printed tables.
RATE_DISTORTION_COLUMNS = ("elbo", "rate", "distortion", "nll", "ppl", "active_units", "mutual_information")
LATENT_COLUMNS = ("marginal_kl", "index_code_mi", "total_correlation", "ks_max", "mmd", "accuracy_drop", "js_divergence")


def add_parser(commands) -> None:
    parser = commands.add_parser("compare", help="table and plots across runs (rate-distortion, marginal KL vs rate)", description=HELP)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run directories or diagnose report folders")
    parser.add_argument("--split", default="valid", choices=["train", "valid", "test"], help="which split's figures (default: valid)")
    parser.add_argument("--out", default="comparison", metavar="DIR", help="folder for runs.json and the figures (default ./comparison)")
    parser.add_argument("--compute-missing", action="store_true", help="diagnose runs that have no diagnose report for the split")
    parser.add_argument("--batch-size", type=int, default=None, help="sentences per batch for --compute-missing")
    parser.add_argument("--seed", type=int, default=0, help="seed for --compute-missing")
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(run=run)


@dataclass
class RunFigures:
    """The saved figures of one run on one split, and the files they came from."""

    label: str
    path: Path
    run_dir: Path | None
    metrics: dict = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add(self, metrics: dict, source: Path) -> None:
        """Add the metrics of ``source`` that are not known yet (earlier sources take precedence)."""
        new = {name: value for name, value in metrics.items() if name not in self.metrics}
        if new:
            self.metrics |= new
            self.sources.append(str(source))

    def add_first(self, metrics: dict, source: Path) -> None:
        """Add the metrics of ``source``, taking precedence over those already known."""
        self.metrics = dict(metrics) | {name: value for name, value in self.metrics.items() if name not in metrics}
        self.sources.insert(0, str(source))


def _read_json(path: Path):
    import json

    from pyrovae.errors import CheckpointError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path} is not valid JSON ({error}); rerun the command that wrote it") from None


def _diagnose_report(folder: Path, split: str | None = None) -> dict | None:
    """The diagnose report in ``folder`` (for ``split`` when given), or None."""
    from pyrovae.cli.diagnose import REPORT_FILE, REPORT_FORMAT

    file = folder / REPORT_FILE
    if not file.is_file():
        return None
    report = _read_json(file)
    if not isinstance(report, dict) or report.get("format") != REPORT_FORMAT:
        return None
    return report if split is None or report.get("split") == split else None


def _run_reports(run: Path, split: str) -> list[tuple[Path, dict]]:
    """Diagnose reports of ``split`` inside the run folder (``diagnose-SPLIT/`` by default, or
    any folder ``diagnose --out RUN/NAME`` wrote), newest first."""
    from pyrovae.cli.diagnose import REPORT_FILE

    reports = []
    for file in sorted(run.glob(f"*/{REPORT_FILE}"), key=lambda f: f.stat().st_mtime, reverse=True):
        report = _diagnose_report(file.parent, split)
        if report is not None:
            reports.append((file.parent, report))
    return reports


def collect(path: str, split: str) -> RunFigures:
    """Every saved figure of the run (or diagnose report folder) ``path`` on ``split``.

    Raises:
        CheckpointError: ``path`` is neither a run directory nor a diagnose report folder.
    """
    from pyrovae.cli.diagnose import REPORT_FILE
    from pyrovae.cli.metric_files import read_estimates
    from pyrovae.errors import CheckpointError
    from pyrovae.train.run_directory import RunDirectory

    folder = Path(path)
    report = _diagnose_report(folder)
    if report is not None:
        if report.get("split") != split:
            raise CheckpointError(f"{folder} is a diagnose report of the {report.get('split')} split, not {split}: pass --split {report.get('split')}")
        run_path = Path(report["run"])
        figures = RunFigures(run_path.name, folder, run_path if RunDirectory(run_path).exists() else None)
        figures.add(read_estimates(report["metrics"]), folder / REPORT_FILE)
    else:
        run_dir = RunDirectory(folder)
        if folder.is_dir() and not run_dir.exists():
            raise CheckpointError(f"{folder} is neither a pyrovae run (no config.json) nor a diagnose report folder (no {REPORT_FILE})")
        run_dir.require()
        figures = RunFigures(folder.resolve().name, folder, folder)
        found = _run_reports(folder, split)
        if found:
            figures.add(read_estimates(found[0][1]["metrics"]), found[0][0] / REPORT_FILE)
    if figures.run_dir is not None:
        evaluation, final = figures.run_dir / f"eval-{split}.json", figures.run_dir / "final_metrics.json"
        if evaluation.is_file():
            figures.add(read_estimates(_read_json(evaluation)), evaluation)
        if final.is_file():
            figures.add(read_estimates(_read_json(final).get(split, {})), final)
    return figures


def compute_missing(figures: RunFigures, split: str, out_dir: Path, args: argparse.Namespace) -> None:
    """Run ``pyrovae diagnose`` on ``figures.run_dir`` and ``split`` into ``out_dir`` and add its
    report."""
    from pyrovae.cli.diagnose import REPORT_FILE
    from pyrovae.cli.main import build_parser
    from pyrovae.cli.metric_files import read_estimates

    argv = ["diagnose", str(figures.run_dir), "--split", split, "--out", str(out_dir), "--seed", str(args.seed)]
    argv += ["--batch-size", str(args.batch_size)] if args.batch_size else []
    argv += ["--no-progress"] if args.no_progress else []
    options = build_parser().parse_args(argv)
    options.run(options)
    # a diagnose report comes first, as it will when the next compare reads it
    figures.add_first(read_estimates(_diagnose_report(out_dir, split)["metrics"]), out_dir / REPORT_FILE)


def _unique_labels(runs: list[RunFigures]) -> None:
    """Label runs by their run folder's name, or by the path given where names repeat."""
    names = [r.label for r in runs]
    for figures in runs:
        if names.count(figures.label) > 1:
            figures.label = str(figures.path)


def run(args: argparse.Namespace) -> int:
    from pyrovae.cli.metric_files import write_json
    from pyrovae.cli.table import format_grid
    from pyrovae.errors import ConfigError
    from pyrovae.plots import plot_latent_fit_vs_rate, plot_rate_distortion

    if args.batch_size is not None and args.batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {args.batch_size}")
    runs = [collect(path, args.split) for path in args.runs]
    _unique_labels(runs)
    out_dir = Path(args.out)
    notes = []
    for figures in runs:
        if "marginal_kl" in figures.metrics:
            continue
        if args.compute_missing and figures.run_dir is not None:
            compute_missing(figures, args.split, out_dir / "reports" / figures.label.replace("/", "_"), args)
        else:
            notes.append(f"{figures.label}: no aggregate-posterior figures for {args.split}: run `pyrovae diagnose {figures.path} --split {args.split}` (or pass --compute-missing)")
    table = {figures.label: figures.metrics for figures in runs}
    for title, columns in (("rate and distortion", RATE_DISTORTION_COLUMNS), ("aggregate posterior vs prior, decoder use", LATENT_COLUMNS)):
        units = {c: next((m[c].unit for m in table.values() if c in m), "") for c in columns}
        print(format_grid(f"{title} ({args.split})", columns, table, units))
        print()
    for note in notes:
        print(note)
    files = [
        write_json(out_dir / "runs.json", {"split": args.split, "runs": {f.label: {"path": str(f.path), "sources": f.sources, "metrics": f.metrics} for f in runs}}),
        plot_rate_distortion(table, out_dir / "rate_distortion.png"),
        plot_latent_fit_vs_rate(table, out_dir / "rate_marginal_kl.png"),
    ]
    print(f"wrote {', '.join(str(f) for f in files)}")
    return 0
