"""Registries, factories and guide files: names and files become what build() takes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from pyrovae.errors import ConfigError, ModelFileError
from pyrovae.infer import ELBO
from pyrovae.latent import (
    POSTERIORS,
    PRIORS,
    DiagonalNormal,
    InverseAutoregressiveFlow,
    MixtureOfGaussians,
    Posterior,
    VampPrior,
    posterior_factory,
    prior_factory,
)
from pyrovae.latent.factory import configured_factories
from pyrovae.model_file import load_model_file
from pyrovae.text import Vocabulary
from pyrovae.train.config import RunConfig
from pyrovae.train.loss_module import VAELoss

REPO = Path(__file__).resolve().parents[2]
GUIDE_FILES = sorted((REPO / "guides").glob("*.py"))
VOCAB = Vocabulary.build(["the cat sat on the mat .", "a dog ran ."])
TINY = {"latent_dim": 3, "embed_dim": 8, "hidden_dim": 12}


def _train_one_step(model) -> torch.Tensor:
    batch = VOCAB.batch(["the cat sat .", "a dog ran on the mat ."])
    loss, _ = VAELoss(model, ELBO())(batch)
    loss.backward()
    return loss


def test_registered_names():
    assert POSTERIORS.names() == ["iaf", "normal", "planar"]
    assert PRIORS.names() == ["mog", "normal", "standard_normal", "vamp"]
    assert "steps=2" in POSTERIORS.describe() and "context_dim" not in POSTERIORS.describe()
    assert "components=10" in PRIORS.describe() and "latent_dim" not in PRIORS.describe()


def test_factories_build_with_the_dimensions_and_their_options():
    posterior = posterior_factory("iaf", steps=3, stable=True)(12, 4)
    assert isinstance(posterior, InverseAutoregressiveFlow) and len(posterior.steps) == 3 and posterior.stable
    assert isinstance(posterior_factory("normal")(12, 4), DiagonalNormal)
    prior = prior_factory("mog", components=5)(4)
    assert isinstance(prior, MixtureOfGaussians) and prior.components == 5 and prior.latent_dim == 4
    assert repr(posterior_factory("iaf", steps=3)) == "posterior 'iaf'(steps=3)"


def test_bad_names_and_options_list_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown posterior 'flowy': expected one of iaf, normal, planar"):
        posterior_factory("flowy")
    with pytest.raises(ConfigError, match=r"no option\(s\) stepz; its options are posterior.steps=2"):
        posterior_factory("iaf", stepz=2)
    with pytest.raises(ConfigError, match="prior 'mog' rejected its options"):
        prior_factory("mog", components=2, spread="wide")(3)
    with pytest.raises(ConfigError, match="number of flow steps must be a positive integer"):
        posterior_factory("planar", steps="many")(12, 3)


def test_a_guide_file_with_its_own_options(tmp_path):
    guide = tmp_path / "wide_normal.py"
    guide.write_text(
        "from pyrovae.latent import DiagonalNormal\n\n"
        "def posterior(context_dim, latent_dim, widen: float = 1.0):\n"
        "    q = DiagonalNormal(context_dim, latent_dim)\n"
        "    q.widen = widen\n"
        "    return q\n"
    )
    assert posterior_factory(str(guide), widen=2.0)(12, 3).widen == 2.0
    with pytest.raises(ConfigError, match="posterior.widen=1.0"):
        posterior_factory(str(guide), narrow=1)
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(ModelFileError, match=r"defines no posterior\(\) function"):
        posterior_factory(str(empty))
    with pytest.raises(ConfigError, match="does not exist"):
        prior_factory(str(tmp_path / "missing.py"))


@pytest.mark.parametrize("path", GUIDE_FILES, ids=[p.name for p in GUIDE_FILES])
def test_guide_file_builds_a_posterior_that_trains(path):
    assert "arXiv:" in (ast.get_docstring(ast.parse(path.read_text())) or ""), "guide files cite their paper"
    factory = posterior_factory(str(path))
    model = load_model_file(REPO / "models" / "lstm_vae.py").build_model(VOCAB, {**TINY, "posterior": factory})
    assert isinstance(model.posterior, Posterior)
    assert torch.isfinite(_train_one_step(model))
    assert all(p.grad is not None for p in model.posterior.parameters())


def test_model_file_takes_posterior_and_prior_factories():
    model_file = load_model_file(REPO / "models" / "lstm_vae.py")
    options = {**TINY, "posterior": posterior_factory("iaf", steps=2), "prior": prior_factory("vamp", components=3, length=2)}
    model = model_file.build_model(VOCAB, options)
    assert isinstance(model.posterior, InverseAutoregressiveFlow) and isinstance(model.prior, VampPrior)
    assert torch.isfinite(_train_one_step(model))
    assert model.prior.pseudo_inputs.grad.abs().sum() > 0


def test_configured_factories_check_the_model_file():
    accepted = {"latent_dim", "posterior", "prior"}
    factories = configured_factories(RunConfig(posterior="iaf", posterior_options={"steps": 3}), accepted, "m.py")
    assert set(factories) == {"posterior"} and len(factories["posterior"](12, 3).steps) == 3
    assert configured_factories(RunConfig(), {"latent_dim"}, "old.py") == {}  # old model files still build
    with pytest.raises(ConfigError, match=r"build\(\) in old.py has no `prior` parameter"):
        configured_factories(RunConfig(prior="mog"), {"latent_dim"}, "old.py")
    with pytest.raises(ConfigError, match="posterior.\\* options need --set posterior=NAME"):
        configured_factories(RunConfig(posterior_options={"steps": 3}), accepted, "m.py")
    with pytest.raises(ConfigError, match="not model.posterior"):
        configured_factories(RunConfig(model={"posterior": "iaf"}), accepted, "m.py")
