"""``pyrovae fit --set posterior=... prior=...`` end to end on the tiny bundled corpus."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from pyrovae.cli.main import main
from pyrovae.latent import InverseAutoregressiveFlow, MixtureOfGaussians, VampPrior
from pyrovae.train.checkpoint import CheckpointManager
from pyrovae.train.run_directory import RunDirectory
from tests.cli.conftest import TINY, data_args, tiny_corpus  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[2]
LSTM_VAE = str(REPO / "models" / "lstm_vae.py")
QUICK = [*TINY, "max_steps=4", "eval_iw_samples=2"]


def _reloads_exactly(out: Path):
    model, _, config = RunDirectory(out).load_model("latest")
    saved = CheckpointManager(out).load_model_weights("latest", device="cpu")
    assert all(torch.equal(model.state_dict()[k], v) for k, v in saved.items())
    return model, config


def test_fit_with_a_registered_posterior_and_prior(tmp_path, tiny_corpus):  # noqa: F811
    out = tmp_path / "run"
    argv = ["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(out), "--set", *QUICK,
            "posterior=iaf", "posterior.steps=2", "prior=mog"]
    assert main(argv) == 0
    model, config = _reloads_exactly(out)
    assert isinstance(model.posterior, InverseAutoregressiveFlow) and len(model.posterior.steps) == 2
    assert isinstance(model.prior, MixtureOfGaussians)
    assert config.posterior == "iaf" and config.posterior_options == {"steps": 2} and config.prior == "mog"
    final = json.loads((out / "final_metrics.json").read_text())["test"]
    assert math.isfinite(final["mutual_information"]["value"])  # an IAF scores foreign points
    assert math.isfinite(final["iw_log_likelihood"]["value"])


def test_fit_with_guide_and_prior_files_keeps_copies_in_the_run(tmp_path, tiny_corpus):  # noqa: F811
    guide = tmp_path / "my_guide.py"
    guide.write_text((REPO / "guides" / "iaf.py").read_text())
    prior = tmp_path / "my_prior.py"
    prior.write_text(
        "from pyrovae.latent import VampPrior\n\n"
        "def prior(latent_dim, components: int = 2):\n"
        "    return VampPrior(latent_dim, components=components, length=3)\n"
    )
    out = tmp_path / "run"
    argv = ["fit", LSTM_VAE, *data_args(tiny_corpus), "--out", str(out), "--set", *QUICK,
            f"posterior={guide}", "posterior.steps=1", f"prior={prior}", "prior.components=3"]
    assert main(argv) == 0
    assert (out / "posterior.py").is_file() and (out / "prior.py").is_file()
    guide.unlink()
    prior.unlink()  # the run no longer depends on the originals
    model, _ = _reloads_exactly(out)
    assert isinstance(model.posterior, InverseAutoregressiveFlow) and len(model.posterior.steps) == 1
    assert isinstance(model.prior, VampPrior) and model.prior.components == 3


def test_fit_help_lists_posteriors_and_priors(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = capsys.readouterr().out
    assert "iaf: steps=2, conditional=True" in text and "planar: steps=2" in text
    assert "mog: components=10" in text and "vamp: components=50, length=8" in text


@pytest.mark.parametrize(
    "model_file, assignments, message",
    [
        ("lstm_vae.py", ["posterior=flowy"], "unknown posterior 'flowy': expected one of iaf, normal, planar"),
        ("lstm_vae.py", ["posterior=iaf", "posterior.stepz=2"], "its options are posterior.steps=2"),
        ("lstm_vae.py", ["prior.components=3"], "prior.* options need --set prior=NAME"),
        ("lstm_lm.py", ["prior=vamp"], "build() in lstm_lm.py has no `prior` parameter"),
    ],
)
def test_bad_latent_options_are_one_line_errors(capsys, tmp_path, model_file, assignments, message):
    argv = ["fit", str(REPO / "models" / model_file), "--out", str(tmp_path / "run"), "--set", *assignments]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
