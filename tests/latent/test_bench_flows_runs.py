"""The flow benchmark runs end to end in its tiny mode (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_flows_small_runs(tmp_path):
    out = tmp_path / "flows.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_flows.py"), "--small", "--steps", "1", "--repeats", "2",
         "--mi-sentences", "8", "--threads", "1", "--json", str(out)],
        cwd=REPO,
        env=dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["training_step"]["normal"]["ratio_to_normal"] == 1.0
    assert {"iaf k=4", "planar k=4", "normal + vamp K=50"} <= set(results["training_step"])
    assert results["mutual_information"]["iaf k=4"]["ratio_to_normal"] > 0
