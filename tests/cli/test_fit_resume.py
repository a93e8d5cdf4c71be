"""`pyrovae fit` end to end: a killed run resumed with --resume ends exactly like an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyrovae.train.run_log import read_log
from tests.cli.conftest import TINY, data_args

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[2]
LSTM_VAE = str(REPO / "models" / "lstm_vae.py")
OPTIONS = [*TINY, "epochs=3", "checkpoint_every=3", "log_every=5", "seed=7"]


def _fit(corpus, out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "pyrovae.cli.main", "fit", LSTM_VAE, *data_args(corpus), "--out", str(out), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})


def _latest_step(out: Path) -> int:
    try:
        return json.loads((out / "checkpoints" / "latest.json").read_text())["step"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return -1


def test_killed_run_resumes_to_identical_final_metrics(tmp_path, tiny_corpus):
    reference = _fit(tiny_corpus, tmp_path / "uninterrupted", "--set", *OPTIONS)
    out, err = reference.communicate(timeout=300)
    assert reference.returncode == 0, err

    killed_dir = tmp_path / "killed"
    victim = _fit(tiny_corpus, killed_dir, "--set", *OPTIONS)
    deadline = time.time() + 300
    # 20 batches per epoch: step 24 is mid-way through the second epoch.
    while _latest_step(killed_dir) < 24 and victim.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    killed_at = _latest_step(killed_dir)
    assert 20 < killed_at < 60, f"the run was not killed mid-training (last checkpoint at step {killed_at})"
    assert not (killed_dir / "final_metrics.json").exists()

    resumed = _fit(tiny_corpus, killed_dir, "--resume", "--set", "progress=false")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err

    expected = json.loads((tmp_path / "uninterrupted" / "final_metrics.json").read_text())
    actual = json.loads((killed_dir / "final_metrics.json").read_text())
    assert actual == expected
    # The log holds each step once, as the uninterrupted run's does.
    steps = [(r["split"], r["step"]) for r in read_log(killed_dir)]
    assert steps == [(r["split"], r["step"]) for r in read_log(tmp_path / "uninterrupted")]


def test_resume_refuses_to_change_the_run(tmp_path, tiny_corpus, capsys):
    from pyrovae.cli.main import main

    out = tmp_path / "run"
    assert main(["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(out), "--set", *TINY, "epochs=1"]) == 0
    capsys.readouterr()
    assert main(["fit", LSTM_VAE, "--out", str(out), "--resume", "--set", "lr=0.5"]) == 2
    assert "cannot change lr" in capsys.readouterr().err
    # A new run into the same folder is refused too, so nothing is overwritten.
    assert main(["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(out), "--set", *TINY]) == 2
    assert "already holds a run" in capsys.readouterr().err
    # Extending a finished run by epochs is allowed.
    assert main(["fit", LSTM_VAE, "--out", str(out), "--resume", "--set", "epochs=2", "progress=false"]) == 0
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["epoch"] == 2


def test_evaluate_and_sample_commands(tmp_path, tiny_corpus, capsys):
    from pyrovae.cli.main import main

    out = tmp_path / "run"
    assert main(["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(out), "--set", *TINY, "epochs=1"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--iw-samples", "4", "--no-progress"]) == 0
    table = capsys.readouterr().out
    for line in ("nats/sentence", "nats/word", "per-word perplexity", "active_units", "mutual_information", "ppl"):
        assert line in table  # a word-level codec: per-token figures are per word
    report = json.loads((out / "eval-valid.json").read_text())  # the validation split by default
    assert report["nll"]["unit"] == "nats/sentence" and report["nll"]["stderr"] > 0
    assert main(["sample", str(out), "--num", "3", "--reconstruct", "she was very happy .", "--max-length", "8"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("# 3 greedy decodings")
    assert len([line for line in printed if "->" in line and not line.startswith("#")]) == 1


def test_objective_and_its_options_from_the_command_line(tmp_path, tiny_corpus, capsys):
    from pyrovae.cli.main import main

    out = tmp_path / "run"
    argv = ["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(out), "--set", *TINY, "epochs=1", "log_every=5",
            "objective=free_bits", "objective.per_dim=0.5", "objective.kl_weight=cyclical(cycles=2,ratio_increase=1.0)"]
    assert main(argv) == 0
    train = [r for r in read_log(out) if r["split"] == "train"]
    assert all(r["objective.target_per_dim"] == 0.5 for r in train)
    weights = [r["objective.kl_weight"] for r in train]
    assert weights[0] == pytest.approx(0.5)  # step 5 of a 10-step cycle rising over the whole cycle
    # The optimised loss differs from -ELBO, which is still logged truthfully.
    assert all(r["loss"] >= -r["elbo"] - 1e-6 or r["objective.kl_weight"] < 1 for r in train)
    assert json.loads((out / "config.json").read_text())["objective_options"]["per_dim"] == 0.5
