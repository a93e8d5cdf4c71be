"""The metrics log of a run: one JSON line per record, a CSV mirror, optional TensorBoard scalars.

:class:`RunLog` appends each record to ``RUN_DIR/metrics.jsonl`` (the source of truth) and to
``RUN_DIR/metrics.csv`` (columns = union of all keys seen so far, in first-seen order; when a new
key appears the CSV is regenerated from the JSONL atomically). When ``tensorboard`` and
``torch.utils.tensorboard`` are importable it also writes each numeric value as the scalar
``<split>/<key>`` at ``step`` under ``RUN_DIR/tensorboard``.

A record is a flat dict of scalars, e.g.
``{"split": "train", "step": 10, "epoch": 1, "loss": 95.2, "elbo": -95.2, "rate": 4.1, ...}``.
Units of the usual keys:

==============  ===================================================================
key             meaning and unit
==============  ===================================================================
split           ``"train"``, ``"valid"`` or ``"test"``
step            optimiser steps taken so far (count)
epoch           passes over the training set started (count, from 1)
loss            the minimised objective, nats per sentence
elbo            evidence lower bound, nats per sentence (higher is better; ``<= 0``)
rate            KL(q(z|x) || p(z)), nats per sentence
distortion      -E_q[log p(x|z)], nats per sentence
nll             (importance-sampled) negative log-likelihood, nats per sentence
ppl             perplexity per token, ``exp(nll_total / tokens)`` (tokens include EOS)
beta            KL weight applied to ``rate`` in ``loss`` (dimensionless)
lr              learning rate of the first parameter group
time            wall-clock seconds since the run started
==============  ===================================================================

A killed run leaves a log whose last line may be cut short; reading skips such a line, and
:meth:`RunLog.truncate_after` (called on resume with the checkpoint's step) removes the records the
killed run wrote after its last checkpoint, so the resumed log has no duplicate steps.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from pyrovae.atomic import atomic_write_text
from pyrovae.errors import CheckpointError

__all__ = ["JSONL_NAME", "CSV_NAME", "TENSORBOARD_DIR", "RunLog", "read_log"]

JSONL_NAME = "metrics.jsonl"
CSV_NAME = "metrics.csv"
TENSORBOARD_DIR = "tensorboard"
_NOT_SCALARS = frozenset({"split", "step", "epoch"})


def _parse_jsonl(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Records of a metrics JSONL file and the byte length of its complete, valid part.

    A final line that does not parse (a killed writer's partial line) is skipped; a bad line
    anywhere else raises :class:`CheckpointError`.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    records: list[dict[str, Any]] = []
    good = 0
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        last = end == -1
        line_end = len(data) if last else end + 1
        line = data[pos:line_end].strip()
        if line:
            try:
                record = json.loads(line.decode("utf-8"))
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                if last or not data[line_end:].strip():
                    break  # the partial final line of a killed writer
                line_no = data.count(b"\n", 0, pos) + 1
                raise CheckpointError(f"metrics log {path} is corrupt at line {line_no}: {exc}") from exc
            records.append(record)
        pos = line_end
        good = pos
    return records, good


def read_log(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All records of ``run_dir/metrics.jsonl`` in order (``[]`` if nothing was logged yet).

    Raises :class:`CheckpointError` if ``run_dir`` does not exist or the log is corrupt.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(f"run directory {run_dir} does not exist: run `pyrovae fit` first")
    return _parse_jsonl(run_dir / JSONL_NAME)[0]


def _clean_value(key: str, value: Any) -> Any:
    """A JSON scalar for ``value``: 0-d tensors and numpy scalars become python numbers."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return _clean_value(key, item())
        except (ValueError, RuntimeError) as exc:
            raise TypeError(f"metrics value {key!r} is not a scalar: {exc}") from exc
    raise TypeError(
        f"metrics value {key!r} has type {type(value).__name__}; use numbers, strings, bools or None"
    )


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _csv_text(columns: list[str], records: list[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_cell(record.get(c)) for c in columns])
    return buffer.getvalue()


def _columns_of(records: list[Mapping[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for record in records:
        for key in record:
            columns.setdefault(key, None)
    return list(columns)


class RunLog:
    """Appends metric records of one run to ``metrics.jsonl``, ``metrics.csv`` and TensorBoard.

    ``run_dir``: the run directory (created if missing). Existing logs are continued: a partial
    final line left by a killed writer is cut off and the CSV is regenerated from the JSONL.
    ``enabled=False`` (non-zero DDP ranks) makes every method a no-op and touches no file.
    ``tensorboard``: also write TensorBoard scalars when the packages are installed (silently
    skipped otherwise; imported only on the first record).

    Each JSON line is flushed when written; files are fsync'ed on :meth:`close`. Use as a context
    manager or call :meth:`close`.
    """

    def __init__(
        self, run_dir: str | os.PathLike[str], enabled: bool = True, tensorboard: bool = True
    ) -> None:
        self.run_dir = Path(run_dir)
        self.enabled = enabled
        self.jsonl_path = self.run_dir / JSONL_NAME
        self.csv_path = self.run_dir / CSV_NAME
        self._use_tensorboard = tensorboard
        self._tb_writer: Any = None
        self._tb_failed = False
        self._purge_step: int | None = None
        self._jsonl: io.TextIOWrapper | None = None
        self._csv: io.TextIOWrapper | None = None
        self._columns: list[str] = []
        self._closed = False
        if not enabled:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        records, good = _parse_jsonl(self.jsonl_path)
        if self.jsonl_path.exists() and good != self.jsonl_path.stat().st_size:
            with open(self.jsonl_path, "rb+") as handle:  # drop a killed writer's partial line
                handle.truncate(good)
        if good and not self.jsonl_path.read_bytes().endswith(b"\n"):
            with open(self.jsonl_path, "ab") as handle:
                handle.write(b"\n")
        self._columns = _columns_of(records)
        self._rewrite_csv(records)
        self._open_files()

    # -- files ---------------------------------------------------------------------------------

    def _open_files(self) -> None:
        self._jsonl = open(self.jsonl_path, "a", encoding="utf-8", newline="\n")
        self._csv = open(self.csv_path, "a", encoding="utf-8", newline="")

    def _close_files(self, sync: bool) -> None:
        for handle in (self._jsonl, self._csv):
            if handle is not None and not handle.closed:
                handle.flush()
                if sync:
                    os.fsync(handle.fileno())
                handle.close()
        self._jsonl = None
        self._csv = None

    def _rewrite_csv(self, records: list[Mapping[str, Any]]) -> None:
        if self._csv is not None and not self._csv.closed:
            self._csv.close()
        atomic_write_text(self.csv_path, _csv_text(self._columns, records) if self._columns else "")
        if self._jsonl is not None:
            self._csv = open(self.csv_path, "a", encoding="utf-8", newline="")

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"RunLog of {self.run_dir} is closed")

    # -- public API ----------------------------------------------------------------------------

    def log(self, record: Mapping[str, Any]) -> None:
        """Append one record (a flat dict of scalars; tensors/numpy scalars are converted)."""
        if not self.enabled:
            return
        self._check_open()
        clean = {str(k): _clean_value(str(k), v) for k, v in record.items()}
        if self._jsonl is None or self._csv is None:  # pragma: no cover - open unless closed
            self._open_files()
        assert self._jsonl is not None and self._csv is not None  # for type checkers
        # NaN/inf are written as the (Python-readable) JSON extensions NaN/Infinity.
        self._jsonl.write(json.dumps(clean, ensure_ascii=False) + "\n")
        self._jsonl.flush()
        new_keys = [k for k in clean if k not in self._columns]
        if new_keys:
            self._columns.extend(new_keys)
            self._rewrite_csv(_parse_jsonl(self.jsonl_path)[0])
        else:
            writer = csv.writer(self._csv, lineterminator="\n")
            writer.writerow([_csv_cell(clean.get(c)) for c in self._columns])
            self._csv.flush()
        self._log_tensorboard(clean)

    def truncate_after(self, step: int) -> None:
        """Remove every record whose ``step`` is greater than ``step`` (records without one stay).

        Call on resume with the restored checkpoint's step. TensorBoard events after ``step`` are
        purged when the TensorBoard writer next opens.
        """
        if not self.enabled:
            return
        self._check_open()
        records = _parse_jsonl(self.jsonl_path)[0]
        kept = [r for r in records if not _after(r.get("step"), step)]
        self._close_files(sync=False)
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
        atomic_write_text(self.jsonl_path, text)
        self._columns = _columns_of(kept)
        atomic_write_text(self.csv_path, _csv_text(self._columns, kept) if self._columns else "")
        self._open_files()
        if self._tb_writer is not None:
            self._tb_writer.close()
            self._tb_writer = None
        self._purge_step = int(step) + 1

    def flush(self) -> None:
        """Flush buffered lines to the operating system (not fsync)."""
        if not self.enabled or self._closed:
            return
        for handle in (self._jsonl, self._csv):
            if handle is not None:
                handle.flush()
        if self._tb_writer is not None:
            self._tb_writer.flush()

    def close(self) -> None:
        """Flush and fsync the logs and close them (idempotent)."""
        if not self.enabled or self._closed:
            self._closed = True
            return
        self._closed = True
        self._close_files(sync=True)
        if self._tb_writer is not None:
            self._tb_writer.close()
            self._tb_writer = None

    def __enter__(self) -> RunLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- TensorBoard ---------------------------------------------------------------------------

    def _tensorboard_writer(self) -> Any:
        if self._tb_writer is not None or self._tb_failed or not self._use_tensorboard:
            return self._tb_writer
        try:
            import tensorboard  # noqa: F401
            from torch.utils.tensorboard import SummaryWriter
        except Exception:  # not installed (or broken): TensorBoard output is optional
            self._tb_failed = True
            return None
        kwargs: dict[str, Any] = {}
        if self._purge_step is not None:
            kwargs["purge_step"] = self._purge_step
        self._tb_writer = SummaryWriter(log_dir=str(self.run_dir / TENSORBOARD_DIR), **kwargs)
        self._purge_step = None
        return self._tb_writer

    def _log_tensorboard(self, record: Mapping[str, Any]) -> None:
        step = record.get("step")
        if not isinstance(step, int) or isinstance(step, bool):
            return
        scalars = {
            k: float(v)
            for k, v in record.items()
            if k not in _NOT_SCALARS
            and isinstance(v, (int, float))
            and not isinstance(v, bool)
            and math.isfinite(float(v))
        }
        if not scalars:
            return
        writer = self._tensorboard_writer()
        if writer is None:
            return
        split = record.get("split")
        for key, value in scalars.items():
            writer.add_scalar(f"{split}/{key}" if split else key, value, step)


def _after(value: Any, step: int) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > step
