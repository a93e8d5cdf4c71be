"""The trainer on real tiny models: reproducibility, bf16 autocast, non-finite losses, DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyro.distributions as dist
import pytest
import torch

from pyrovae.data import FixedBatches, SentenceDataset, default_corpus, read_text_file
from pyrovae.errors import NonFiniteLossError
from pyrovae.infer import ELBO
from pyrovae.latent import StandardNormal
from pyrovae.text import Vocabulary
from pyrovae.train.checkpoint import CheckpointManager
from pyrovae.train.config import RunConfig
from pyrovae.train.run_log import read_log
from pyrovae.train.trainer import Trainer
from tests.helpers import make_trainer, tiny_vae

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus():
    sentences = read_text_file(default_corpus()["train"])[:160]
    valid = read_text_file(default_corpus()["valid"])[:48]
    vocab = Vocabulary.build(sentences, max_size=20)  # the tiny model's 20-token vocabulary
    return vocab, SentenceDataset(sentences, vocab), SentenceDataset(valid, vocab)


def _config(**changes) -> RunConfig:
    defaults = dict(batch_size=16, epochs=2, progress=False, log_every=2, checkpoint_every=4)
    return RunConfig(**{**defaults, **changes})


def _fit(tmp_path, corpus, vae=None, **changes):
    vocab, train, valid = corpus
    vae = vae or tiny_vae()
    trainer = make_trainer(Trainer, vae, ELBO(), _config(**changes), tmp_path, train, valid)
    return trainer, trainer.fit()


def test_seeded_runs_are_reproducible(tmp_path, corpus):
    first, _ = _fit(tmp_path / "a", corpus, seed=3)
    second, _ = _fit(tmp_path / "b", corpus, seed=3)
    for a, b in zip(first.vae.state_dict().values(), second.vae.state_dict().values()):
        assert torch.equal(a, b)
    strip = lambda log: [{k: v for k, v in r.items() if k != "tokens_per_s"} for r in log]  # noqa: E731
    assert strip(read_log(tmp_path / "a")) == strip(read_log(tmp_path / "b"))


def test_training_lowers_the_validation_loss_and_logs_true_terms(tmp_path, corpus):
    trainer, state = _fit(tmp_path, corpus, epochs=3, lr=0.01)
    valid = [r for r in read_log(tmp_path) if r["split"] == "valid"]
    assert len(valid) == 3 and valid[-1]["elbo"] > valid[0]["elbo"]
    for record in read_log(tmp_path):
        assert record["elbo"] == pytest.approx(-(record["rate"] + record["distortion"]))
    assert state.finished and state.stop_reason == "epochs"
    assert CheckpointManager(tmp_path).exists("best")


def test_bf16_autocast_trains_with_float32_parameters_and_log_probs(tmp_path, corpus):
    trainer, state = _fit(tmp_path, corpus, amp="bf16", epochs=1, max_steps=4)
    assert all(p.dtype == torch.float32 for p in trainer.vae.parameters())
    records = read_log(tmp_path)
    assert records and all(torch.isfinite(torch.tensor(r["elbo"])) for r in records)
    assert state.step == 4


def test_gradient_accumulation_counts_optimizer_steps(tmp_path, corpus):
    _, state = _fit(tmp_path, corpus, accumulate=3, epochs=1)
    assert state.step == 4  # 10 batches -> 3 + 3 + 3 + 1


class _PriorThatBreaks(StandardNormal):
    """A prior whose scale becomes NaN after a number of calls, as a diverging one would."""

    def __init__(self, latent_dim: int, healthy_calls: int) -> None:
        super().__init__(latent_dim)
        self.calls, self.healthy_calls = 0, healthy_calls

    def forward(self):
        self.calls += 1
        scale = self.scale if self.calls <= self.healthy_calls else self.scale * float("nan")
        return dist.Normal(self.loc, scale, validate_args=False).to_event(1)


def test_non_finite_loss_names_step_and_term_and_keeps_last_checkpoint(tmp_path, corpus):
    vae = tiny_vae()
    vae.prior = _PriorThatBreaks(vae.latent_dim, healthy_calls=6)
    with pytest.raises(NonFiniteLossError) as error:
        _fit(tmp_path, corpus, vae=vae, checkpoint_every=2)
    message = str(error.value)
    assert "step 7" in message and "rate term is not finite" in message and "--resume" in message
    manager = CheckpointManager(tmp_path)
    weights, state = manager.load("latest")
    assert state["step"] == 6
    assert all(torch.isfinite(w).all() for w in weights.values())


def test_ddp_two_processes_gloo_reduce_validation_exactly(tmp_path):
    """Two CPU processes under torchrun: only rank 0 writes, and the all-reduced validation NLL of
    the language model equals a single-process evaluation of the saved weights."""
    sentences = read_text_file(default_corpus()["train"])[:128]
    valid = read_text_file(default_corpus()["valid"])[:40]
    (tmp_path / "train.txt").write_text("\n".join(sentences) + "\n")
    (tmp_path / "valid.txt").write_text("\n".join(valid) + "\n")
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "pyrovae.cli.main", "fit", str(REPO / "models" / "lstm_lm.py"),
        "--data", f"train={tmp_path / 'train.txt'}", f"valid={tmp_path / 'valid.txt'}", "--out", str(out),
        "--set", "model.embed_dim=16", "model.hidden_dim=24", "batch_size=16", "eval_batch_size=8",
        "progress=false", "epochs=2", "eval_iw_samples=1",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    log = read_log(out)
    keys = [(r["split"], r["step"]) for r in log]
    assert len(keys) == len(set(keys)), "a record was written twice: only rank 0 may write"
    # 128 sentences / (2 ranks x 16) = 4 steps per epoch.
    assert json.loads((out / "train_summary.json").read_text())["step"] == 8

    from pyrovae.train.run_directory import RunDirectory

    model, vocab, config = RunDirectory(out).load_model("latest")
    trainer = make_trainer(Trainer, model, ELBO(), config, tmp_path / "scratch", SentenceDataset(sentences, vocab))
    single = trainer.validate(FixedBatches(SentenceDataset(valid, vocab), config.eval_batch_size))
    ddp = [r for r in log if r["split"] == "valid"][-1]
    assert ddp["sentences"] == single["sentences"] == 40
    assert ddp["tokens"] == single["tokens"]
    assert ddp["distortion"] == pytest.approx(single["distortion"], rel=1e-5)


def test_resumed_run_continues_schedule_and_multiplier(tmp_path, corpus):
    """A run stopped after 4 steps and resumed to 8 ends where an unbroken 8-step run ends."""
    from pyrovae.infer import MDR

    vocab, train, valid = corpus

    def trainer(run_dir, max_steps):
        objective = MDR(per_dim=0.2, kl_weight="linear(steps=6)")
        config = _config(max_steps=max_steps, epochs=5, checkpoint_every=2, seed=1)
        return make_trainer(Trainer, tiny_vae(), objective, config, run_dir, train, valid)

    unbroken = trainer(tmp_path / "unbroken", 8)
    unbroken.fit()
    first = trainer(tmp_path / "resumed", 4)
    first.fit()
    assert first.objective.kl_weight.value() == pytest.approx(4 / 6)
    second = trainer(tmp_path / "resumed", 8)
    second.fit(resume=True)
    assert int(second.objective.kl_weight.step) == int(unbroken.objective.kl_weight.step) == 8
    assert torch.equal(second.objective.multiplier, unbroken.objective.multiplier)
    assert (second.objective.multiplier > 0).any()
    for a, b in zip(second.vae.state_dict().values(), unbroken.vae.state_dict().values()):
        assert torch.equal(a, b)
    logged = [r for r in read_log(tmp_path / "resumed") if r["split"] == "train"]
    assert "objective.multiplier" in logged[-1] and "objective.kl_weight" in logged[-1]


def test_aggressive_training_moves_only_the_encoder_in_its_inner_loop(tmp_path, corpus):
    from pyrovae.train.aggressive import AggressiveTrainer

    vocab, train, valid = corpus
    trainer = make_trainer(AggressiveTrainer, tiny_vae(), ELBO(), _config(epochs=1, max_steps=3), tmp_path, train, valid,
                                max_inner_steps=4, inner_window=2)
    decoder_before = [p.detach().clone() for p in trainer.vae.model_parameters()]
    encoder_before = [p.detach().clone() for p in trainer.vae.guide_parameters()]
    steps = trainer._inner_loop()
    assert 2 <= steps <= 4
    assert all(torch.equal(a, b) for a, b in zip(decoder_before, trainer.vae.model_parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(encoder_before, trainer.vae.guide_parameters()))


def test_aggressive_training_logs_mi_and_stops_when_it_falls(tmp_path, corpus):
    from pyrovae.train.aggressive import AggressiveTrainer

    vocab, train, valid = corpus
    trainer = make_trainer(AggressiveTrainer, tiny_vae(), ELBO(), _config(epochs=2), tmp_path, train, valid,
                                max_inner_steps=2, inner_window=2)
    trainer.fit()
    records = [r for r in read_log(tmp_path) if r["split"] == "valid"]
    assert len(records) == 2 and all("mutual_information" in r for r in records[:1])
    manager = CheckpointManager(tmp_path)
    _, state = manager.load("latest")
    assert state["extra"]["aggressive"] == trainer.aggressive
    assert state["extra"]["best_mi"] == pytest.approx(max(r.get("mutual_information", -1e9) for r in records))
    # Were I(x;z) to fall, the flag would drop: force it with a best value no estimate can reach.
    trainer.best_mi, trainer.aggressive = 1e9, True
    assert trainer.end_of_epoch(partial=False)["aggressive"] == 1.0 and trainer.aggressive is False


@pytest.mark.parametrize("select", ["elbo", "loss", "last"])
def test_best_checkpoint_selection(tmp_path, corpus, select):
    vocab, train, valid = corpus
    from pyrovae.infer import BetaC

    objective = BetaC(capacity=5.0)
    trainer = make_trainer(Trainer, tiny_vae(), objective, _config(epochs=2, select=select), tmp_path, train, valid)
    trainer.fit()
    manager = CheckpointManager(tmp_path)
    best, latest = manager.read_pointer("best")["tag"], manager.read_pointer("latest")["tag"]
    records = [r for r in read_log(tmp_path) if r["split"] == "valid"]
    if select == "last":
        assert best == latest
    else:
        key = (lambda r: -r["elbo"]) if select == "elbo" else (lambda r: r["loss"])
        best_epoch = min(range(len(records)), key=lambda i: key(records[i]))
        assert best == f"step-{records[best_epoch]['step']:07d}"


def test_mdr_multiplier_takes_one_projected_ascent_step_per_optimizer_step(tmp_path, corpus):
    """With objective_optimizer=sgd: u <- max(0, u + objective_lr * (r - R)) with R the batch's rate
    per sentence, whatever the model optimizer; the multiplier's gradient is not clipped."""
    from pyrovae.infer import MDR

    vocab, train, valid = corpus
    objective = MDR(target=3.0, initial_multiplier=0.25)
    config = _config(max_steps=1, objective_optimizer="sgd", objective_lr=0.05, grad_clip=1e-6, lr=1e-3, log_every=1)
    trainer = make_trainer(Trainer, tiny_vae(), objective, config, tmp_path, train, valid)
    assert isinstance(trainer.dual_optimizer, torch.optim.SGD) and isinstance(trainer.optimizer, torch.optim.Adam)
    assert trainer.dual_optimizer.param_groups[0]["weight_decay"] == 0.0
    assert [p for group in trainer.optimizer.param_groups for p in group["params"]] == list(trainer.vae.parameters())
    trainer.fit()
    (first,) = [r for r in read_log(tmp_path) if r["split"] == "train"]
    assert objective.multiplier.item() == pytest.approx(0.25 + 0.05 * (3.0 - first["rate"]), rel=1e-4)

    objective = MDR(target=0.0, initial_multiplier=0.01)  # satisfied: the step would go below 0
    config = _config(max_steps=1, objective_optimizer="sgd", objective_lr=10.0)
    make_trainer(Trainer, tiny_vae(), objective, config, tmp_path / "b", train, valid).fit()
    assert objective.multiplier.item() == 0.0
