"""Run log: JSONL/CSV round trip, late keys, truncation on resume, killed writers, disabled ranks."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import pyrovae.train.run_log as run_log_module
from pyrovae.errors import CheckpointError
from pyrovae.train.run_log import RunLog, read_log


def _csv_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "metrics.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_jsonl_and_csv_round_trip_with_late_key(tmp_path: Path) -> None:
    with RunLog(tmp_path, tensorboard=False) as log:
        log.log({"split": "train", "step": 1, "epoch": 1, "loss": 10.5, "rate": torch.tensor(2.0)})
        log.log({"split": "train", "step": 2, "epoch": 1, "loss": 9.0, "rate": np.float32(1.5)})
        log.log({"split": "valid", "step": 2, "epoch": 1, "loss": 8.0, "ppl": 120.25})
        log.log({"split": "train", "step": 3, "epoch": 1, "loss": float("nan"), "rate": 1.0})

    records = read_log(tmp_path)
    assert len(records) == 4
    assert records[0] == {"split": "train", "step": 1, "epoch": 1, "loss": 10.5, "rate": 2.0}
    assert records[1]["rate"] == 1.5 and isinstance(records[0]["step"], int)
    assert math.isnan(records[3]["loss"])

    header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert header == "split,step,epoch,loss,rate,ppl"
    rows = _csv_rows(tmp_path)
    assert [r["step"] for r in rows] == ["1", "2", "2", "3"]
    assert rows[0]["ppl"] == "" and rows[2]["ppl"] == "120.25" and rows[2]["rate"] == ""
    assert float(rows[1]["rate"]) == 1.5


def test_truncate_after_and_resume(tmp_path: Path) -> None:
    with RunLog(tmp_path, tensorboard=False) as log:
        for step in range(1, 6):
            log.log({"split": "train", "step": step, "loss": float(step)})
        log.log({"note": "no step"})
    # resume from a checkpoint at step 3
    with RunLog(tmp_path, tensorboard=False) as log:
        log.truncate_after(3)
        log.log({"split": "train", "step": 4, "loss": 40.0, "lr": 0.1})
    records = read_log(tmp_path)
    assert [r.get("step") for r in records] == [1, 2, 3, None, 4]
    assert records[-1]["loss"] == 40.0
    rows = _csv_rows(tmp_path)
    assert [r["step"] for r in rows] == ["1", "2", "3", "", "4"]
    assert list(rows[0]) == ["split", "step", "loss", "note", "lr"]


def test_killed_writer_partial_line_is_dropped(tmp_path: Path) -> None:
    with RunLog(tmp_path, tensorboard=False) as log:
        log.log({"step": 1, "loss": 1.0})
    with open(tmp_path / "metrics.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"step": 2, "lo')  # killed mid-line
    assert read_log(tmp_path) == [{"step": 1, "loss": 1.0}]
    with RunLog(tmp_path, tensorboard=False) as log:
        log.log({"step": 2, "loss": 2.0})
    assert read_log(tmp_path) == [{"step": 1, "loss": 1.0}, {"step": 2, "loss": 2.0}]
    assert [r["step"] for r in _csv_rows(tmp_path)] == ["1", "2"]


def test_corrupt_middle_line_raises(tmp_path: Path) -> None:
    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\nnot json\n{"step": 2}\n')
    with pytest.raises(CheckpointError, match="line 2"):
        read_log(tmp_path)


def test_read_log_missing(tmp_path: Path) -> None:
    assert read_log(tmp_path) == []
    with pytest.raises(CheckpointError, match="does not exist"):
        read_log(tmp_path / "nope")


def test_disabled_log_is_a_no_op(tmp_path: Path) -> None:
    run_dir = tmp_path / "rank1"
    with RunLog(run_dir, enabled=False) as log:
        log.log({"step": 1, "loss": 1.0})
        log.truncate_after(0)
        log.flush()
    assert not run_dir.exists()


def test_rejects_non_scalar_values(tmp_path: Path) -> None:
    with RunLog(tmp_path, tensorboard=False) as log:
        with pytest.raises(TypeError, match="loss"):
            log.log({"step": 1, "loss": torch.ones(3)})
        with pytest.raises(TypeError, match="cfg"):
            log.log({"step": 1, "cfg": {"a": 1}})


def test_tensorboard_optional(tmp_path: Path) -> None:
    # Works whether or not tensorboard is installed; when it is, event files appear.
    with RunLog(tmp_path, tensorboard=True) as log:
        log.log({"split": "train", "step": 1, "loss": 1.0})
    assert read_log(tmp_path)[0]["loss"] == 1.0
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        assert not (tmp_path / "tensorboard").exists()
    else:  # pragma: no cover - depends on the environment
        assert any((tmp_path / "tensorboard").iterdir())


def test_no_pickle_or_eager_tensorboard_import() -> None:
    source = Path(run_log_module.__file__).read_text(encoding="utf-8")
    assert "pickle" not in source and not re.search(r"(?<![\w.])torch\.load\(", source)
    top_level = [line for line in source.splitlines() if re.match(r"^(import|from)\s", line)]
    assert not any("tensorboard" in line for line in top_level)
