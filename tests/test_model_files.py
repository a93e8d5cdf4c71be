"""Every file in models/ honours the model-file contract and trains a step with tiny options."""

from pathlib import Path

import pytest
import torch

from pyrovae.infer import ELBO
from pyrovae.model_file import load_model_file
from pyrovae.text import Vocabulary
from pyrovae.train.loss_module import VAELoss

REPO = Path(__file__).resolve().parents[1]
MODEL_FILES = sorted((REPO / "models").glob("*.py"))
TINY = {"latent_dim": 3, "embed_dim": 8, "hidden_dim": 12}


@pytest.mark.parametrize("path", MODEL_FILES, ids=[p.name for p in MODEL_FILES])
def test_model_file_builds_and_trains_one_step(path):
    model_file = load_model_file(path)
    assert (model_file.build.__doc__ or path.read_text().startswith('"""')), "model files cite their paper"
    vocab = Vocabulary.build(["the cat sat on the mat .", "a dog ran ."])
    options = {k: v for k, v in TINY.items() if k in model_file.build_options()}
    model = model_file.build_model(vocab, options)
    batch = vocab.batch(["the cat sat .", "a dog ran on the mat ."])
    loss_module = VAELoss(model, model_file.make_objective() or ELBO())
    loss, _ = loss_module(batch)
    loss.backward()
    assert torch.isfinite(loss)
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
