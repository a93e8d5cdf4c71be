"""The benchmarks run end to end in their tiny modes (smoke tests: no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, *arguments: str) -> subprocess.CompletedProcess:
    """Run ``benchmarks/SCRIPT ARGUMENTS`` offline and assert that it succeeded."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *arguments],
        cwd=REPO,
        env=dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_bench_lstm_vae_small_runs(tmp_path):
    out = tmp_path / "lstm_vae.json"
    proc = run_benchmark("bench_lstm_vae.py", "--small", "--steps", "3", "--threads", "1", "--json", str(out))
    assert "ratio train_step pyrovae/plain = " in proc.stdout
    assert "ratio importance_log_likelihood pyrovae/plain = " in proc.stdout
    results = json.loads(out.read_text())
    # the equivalence checks ran before timing (the script asserts on them)
    assert results["checks"]["train"]["train"]["max_abs_loss_diff"] < 1e-2
    assert results["checks"]["iw"]["max_abs_diff_nats"] < 1e-3
    for section in ("train_step", "importance_log_likelihood"):
        assert results[section]["pyrovae"]["ratio"] > 0
        assert results[section]["plain"]["ratio"] == 1.0


def test_bench_objectives_small_runs(tmp_path):
    out = tmp_path / "objectives.json"
    run_benchmark("bench_objectives.py", "--small", "--steps", "2", "--repeats", "2", "--json", str(out))
    results = json.loads(out.read_text())["results"]
    assert results["elbo"]["ratio"] == 1.0
    assert {"mdr per dim 0.25", "info_vae", "beta_c C=15", "free bits + cyclical"} <= set(results)


def test_bench_flows_small_runs(tmp_path):
    out = tmp_path / "flows.json"
    run_benchmark(
        "bench_flows.py", "--small", "--steps", "1", "--repeats", "2", "--mi-sentences", "8", "--threads", "1",
        "--json", str(out),
    )
    results = json.loads(out.read_text())
    assert results["training_step"]["normal"]["ratio"] == 1.0
    assert {"iaf k=4", "planar k=4", "normal + vamp K=50"} <= set(results["training_step"])
    assert results["mutual_information"]["iaf k=4"]["ratio"] > 0
