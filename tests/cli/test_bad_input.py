"""Bad input gets one clear message and exit status 2, with no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyrovae.cli.main import main
from tests.cli.conftest import TINY, data_args

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[2]
LSTM_VAE = str(REPO / "models" / "lstm_vae.py")


def _fails(capsys, argv, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_missing_data_file(capsys, tmp_path):
    _fails(capsys, ["fit", LSTM_VAE, "--data", f"train={tmp_path / 'nope.txt'}", "--out", str(tmp_path / "run")], "nope.txt", "does not exist")


def test_empty_data_file(capsys, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n  \n")
    _fails(capsys, ["fit", LSTM_VAE, "--data", f"train={empty}", "--out", str(tmp_path / "run")], "empty")


def test_undecodable_data_file(capsys, tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    _fails(capsys, ["fit", LSTM_VAE, "--data", f"train={latin}", "--out", str(tmp_path / "run")], "latin1.txt", "UTF-8")


def test_model_file_without_build(capsys, tmp_path):
    model_file = tmp_path / "no_build.py"
    model_file.write_text("def model(batch):\n    pass\n\ndef guide(batch):\n    pass\n")
    _fails(capsys, ["fit", str(model_file)], "defines no build()", "Found: guide, model")


def test_model_file_with_syntax_error(capsys, tmp_path):
    model_file = tmp_path / "broken.py"
    model_file.write_text("def build(vocab):\n    return (\n")
    _fails(capsys, ["fit", str(model_file)], "syntax error at line")


def test_missing_model_file(capsys, tmp_path):
    _fails(capsys, ["fit", str(tmp_path / "missing.py")], "does not exist")


def test_unknown_set_key(capsys, tmp_path, tiny_corpus):
    _fails(capsys, ["fit", LSTM_VAE, *data_args(tiny_corpus), "--set", "learning_rate=0.1"], "unknown option(s) learning_rate", "valid options are")


def test_unknown_model_option(capsys, tmp_path, tiny_corpus):
    _fails(
        capsys,
        ["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(tmp_path / "run"), "--set", "model.layers=3"],
        "unknown model option(s) model.layers",
        "model.latent_dim=32",
    )


def test_unknown_objective_and_option(capsys, tmp_path, tiny_corpus):
    out = ["--out", str(tmp_path / "run")]
    _fails(capsys, ["fit", LSTM_VAE, *data_args(tiny_corpus), *out, "--set", "objective=magic"], "unknown objective 'magic'", "elbo")
    _fails(capsys, ["fit", LSTM_VAE, *data_args(tiny_corpus), *out, "--set", "objective.beta=2"], "no option(s) beta")


def test_bad_value_type(capsys, tiny_corpus):
    _fails(capsys, ["fit", LSTM_VAE, *data_args(tiny_corpus), "--set", "epochs=many"], "epochs must be an integer")


def test_fp16_on_cpu_is_refused(capsys, tmp_path, tiny_corpus):
    _fails(
        capsys,
        ["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(tmp_path / "run"), "--set", "amp=fp16", "device=cpu", *TINY],
        "amp=fp16 needs a CUDA device",
    )


def test_evaluate_a_folder_that_is_not_a_run(capsys, tmp_path):
    _fails(capsys, ["evaluate", str(tmp_path)], "is not a pyrovae run")


def test_shape_mismatch_in_a_model_file_is_reported_on_the_first_batch(capsys, tmp_path, tiny_corpus):
    model_file = tmp_path / "mismatch.py"
    model_file.write_text(
        "import pyro, pyro.distributions as dist, torch\n"
        "from torch import nn\n"
        "class Broken(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.w = nn.Parameter(torch.zeros(3))\n"
        "    def model(self, batch):\n"
        "        with pyro.plate('sentences', batch.size):\n"
        "            pyro.sample('z', dist.Normal(torch.zeros(batch.size + 1), 1.0))\n"
        "    def guide(self, batch):\n"
        "        with pyro.plate('sentences', batch.size):\n"
        "            pyro.sample('z', dist.Normal(self.w.sum(), 1.0))\n"
        "def build(vocab):\n"
        "    return Broken()\n"
    )
    _fails(
        capsys,
        ["fit", str(model_file), *data_args(tiny_corpus), "--out", str(tmp_path / "run"), "--set", "progress=false"],
        "failed on the first training batch",
        "Shape mismatch",
    )


def test_console_script_prints_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pyrovae.cli.main", "fit", str(tmp_path / "missing.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_objective_option_of_the_wrong_type(capsys, tiny_corpus, tmp_path):
    _fails(
        capsys,
        ["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(tmp_path / "run"), "--set", "objective=free_bits", "objective.per_dim=lots"],
        "objective 'free_bits' rejected its options",
    )


def test_bad_schedule_spec(capsys, tiny_corpus, tmp_path):
    _fails(
        capsys,
        ["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(tmp_path / "run"), "--set", "objective=annealing", "objective.schedule=sigmoid"],
        "unknown schedule 'sigmoid'",
    )


def test_evaluate_and_sample_refuse_non_positive_sizes(capsys, tmp_path):
    from pyrovae.text import Vocabulary
    from pyrovae.train.config import RunConfig
    from pyrovae.train.run_directory import RunDirectory

    run = RunDirectory(tmp_path / "run")
    run.save_setup(RunConfig(), Vocabulary.build(["a b c ."]), Path(LSTM_VAE))
    _fails(capsys, ["evaluate", str(run.path), "--batch-size", "0"], "--batch-size must be at least 1")
    _fails(capsys, ["sample", str(run.path), "--max-length", "0"], "--max-length must be at least 1")
