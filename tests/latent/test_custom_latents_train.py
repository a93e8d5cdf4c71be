"""A prior and a posterior defined from scratch in this file train through the real Trainer.

This is the worked example of docs/latents.md: a heavy-tailed Student-t prior (Pyro has no
closed-form KL to it, so the rate is Monte Carlo) and a RealNVP-style coupling-flow posterior
conditioned on the encoder context, each a few lines on the public API.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyro.distributions as dist
import pytest
import torch
from pyro.distributions.transforms import Permute, conditional_affine_coupling
from pyro.infer.enum import get_importance_trace
from torch import nn

from pyrovae.data import FixedBatches, SentenceDataset, default_corpus, read_text_file
from pyrovae.infer import ELBO, rate_distortion
from pyrovae.latent import Posterior, Prior
from pyrovae.metrics import evaluate
from pyrovae.text import Vocabulary
from pyrovae.train.checkpoint import CheckpointManager
from pyrovae.train.config import RunConfig
from pyrovae.train.run_log import read_log
from pyrovae.train.trainer import Trainer
from pyrovae.vae import TextVAE
from tests.helpers import VOCAB, make_trainer, tiny_vae


class StudentTPrior(Prior):
    """p(z) = prod_d StudentT(z_d; df, 0, 1)."""

    def __init__(self, latent_dim: int, df: float = 3.0) -> None:
        super().__init__(latent_dim)
        self.register_buffer("df", torch.full((latent_dim,), df), persistent=False)

    def forward(self):
        return dist.StudentT(self.df, torch.zeros_like(self.df), torch.ones_like(self.df)).to_event(1)


class CouplingFlow(Posterior):
    """A diagonal Gaussian at h, then affine coupling steps conditioned on h."""

    def __init__(self, context_dim: int, latent_dim: int, steps: int = 2) -> None:
        super().__init__(context_dim, latent_dim)
        self.to_params = nn.Linear(context_dim, 2 * latent_dim)
        self.couplings = nn.ModuleList(conditional_affine_coupling(latent_dim, context_dim) for _ in range(steps))
        self.register_buffer("reverse", torch.arange(latent_dim - 1, -1, -1), persistent=False)

    def get_base_dist(self, context):
        loc, log_scale = self.to_params(context).float().chunk(2, -1)
        return dist.Normal(loc, log_scale.exp()).to_event(1)

    def get_transforms(self, context):
        transforms = []
        for coupling in self.couplings:
            transforms += [coupling.condition(context), Permute(self.reverse)]
        return transforms


def custom_vae() -> TextVAE:
    base = tiny_vae(latent_dim=4)
    torch.manual_seed(1)
    return TextVAE(base.encoder, CouplingFlow(12, 4), StudentTPrior(4), base.decoder)


@pytest.fixture(scope="module")
def corpus():
    sentences = read_text_file(default_corpus()["train"])[:96]
    valid = read_text_file(default_corpus()["valid"])[:32]
    vocab = Vocabulary.build(sentences, max_size=VOCAB)
    return vocab, SentenceDataset(sentences, vocab), SentenceDataset(valid, vocab)


def test_custom_prior_and_posterior_train_and_reload(tmp_path, corpus):
    vocab, train, valid = corpus
    config = RunConfig(batch_size=16, epochs=2, progress=False, log_every=2, checkpoint_every=3, lr=0.01)
    trainer = make_trainer(Trainer, custom_vae(), ELBO(), config, tmp_path, train, valid)
    before = {k: v.clone() for k, v in trainer.vae.posterior.state_dict().items()}
    state = trainer.fit()
    assert state.finished and state.step == 12
    records = read_log(tmp_path)
    assert records and all(math.isfinite(r["elbo"]) and math.isfinite(r["rate"]) for r in records)
    for record in records:
        assert record["elbo"] == pytest.approx(-(record["rate"] + record["distortion"]))
    assert any(not torch.equal(before[k], v) for k, v in trainer.vae.posterior.state_dict().items())

    reloaded = custom_vae()
    reloaded.load_state_dict(CheckpointManager(tmp_path).load_model_weights("latest", device="cpu"))
    for k, v in trainer.vae.state_dict().items():
        assert torch.equal(reloaded.state_dict()[k], v)
    batches = list(FixedBatches(valid, 16))
    model_trace, guide_trace = get_importance_trace("flat", 1, reloaded.model, reloaded.guide, (batches[0],), {})
    assert not rate_distortion(model_trace, guide_trace).rates["z"].analytic  # Monte Carlo rate
    report = evaluate(reloaded, batches, iw_samples=3)
    # the coupling flow is invertible: mutual information (foreign points) is defined
    assert math.isfinite(report["mutual_information"].value) and math.isfinite(report["iw_log_likelihood"].value)


def test_the_worked_example_in_the_docs_is_this_file():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "latents.md").read_text()
    source = Path(__file__).read_text()
    blocks = [b.split("```")[0] for b in docs.split("```python\n")[1:]]
    classes = [b[b.index("class "):] for b in blocks if "class StudentTPrior" in b or "class CouplingFlow" in b]
    assert len(classes) == 2
    for code in classes:
        assert code in source, code
