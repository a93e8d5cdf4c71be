"""The training monitor: warn-once rules, and its records in real tiny training runs."""

from __future__ import annotations

import warnings

import pytest
import torch

from pyrovae.data import SentenceDataset, default_corpus, read_text_file
from pyrovae.diagnostics import (
    LatentDriftWarning,
    PosteriorCollapseWarning,
    TrainingMonitor,
)
from pyrovae.errors import ConfigError
from pyrovae.infer import ELBO
from pyrovae.text import Vocabulary
from pyrovae.train.config import RunConfig
from pyrovae.train.run_log import read_log
from pyrovae.train.trainer import Trainer
from tests.helpers import make_trainer, tiny_batch, tiny_vae

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out


def _record(rate, marginal_kl, mmd=0.01, active_units=3.0, step=0):
    return {"rate": rate, "marginal_kl": marginal_kl, "mmd": mmd, "active_units": active_units, "step": step}


def _monitor(**options) -> TrainingMonitor:
    return TrainingMonitor([tiny_batch(size=4)], every=10, **options)


def test_collapse_warns_once_after_the_rate_was_above_the_threshold():
    monitor = _monitor()
    assert monitor.check(_record(2.0, 0.1, step=10)) == []
    (message, kind), = monitor.check(_record(0.05, 0.01, step=20))
    assert kind is PosteriorCollapseWarning and "step 20" in message and "0.050" in message
    assert monitor.check(_record(0.01, 0.0, step=30)) == []  # said once
    # a model collapsed from its first check, with no active unit, is reported too
    assert _monitor().check(_record(0.02, 0.0, active_units=0.0))[0][1] is PosteriorCollapseWarning
    assert _monitor().check(_record(0.02, 0.0, active_units=2.0)) == []


def test_drift_needs_marginal_kl_rate_and_mmd_rising_over_the_window():
    monitor = _monitor(drift_window=3, drift_tolerance=0.05)
    checks = [_record(1.0, 0.2, 0.010), _record(1.5, 0.3, 0.012), _record(2.0, 0.5, 0.015, step=30)]
    found = [monitor.check(r) for r in checks]
    assert found[:2] == [[], []]
    (message, kind), = found[2]
    assert kind is LatentDriftWarning and "0.20 -> 0.50" in message and "step 30" in message
    assert monitor.check(_record(2.5, 0.8, 0.02)) == []  # said once
    # the marginal KL rising while the MMD falls (the log N floor following the rate) is no drift
    quiet = _monitor()
    assert [quiet.check(r) for r in [_record(1, 0.2, 0.02), _record(2, 0.4, 0.015), _record(3, 0.6, 0.01)]] == [[], [], []]
    # nor is a rise smaller than the tolerance, or a dip inside the window
    assert [r for r in (_monitor().check(x) for x in [_record(1, 0.2), _record(2, 0.21), _record(3, 0.22, 0.02)]) if r] == []
    assert [r for r in (_monitor().check(x) for x in [_record(1, 0.2), _record(2, 0.1), _record(3, 0.6, 0.02)]) if r] == []


def test_restore_replays_history_silently():
    monitor = _monitor()
    logged = [{"split": "train", "step": 5, "rate": 9.0}, {**_record(2.0, 0.1), "split": "monitor"},
              {**_record(0.05, 0.0), "split": "monitor"}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monitor.restore(logged)
    assert len(monitor.history) == 2 and monitor.warned == {"collapse"}


@pytest.fixture(scope="module")
def corpus():
    sentences = read_text_file(default_corpus()["train"])[:160]
    valid = read_text_file(default_corpus()["valid"])[:48]
    vocab = Vocabulary.build(sentences, max_size=20)
    return vocab, SentenceDataset(sentences, vocab), SentenceDataset(valid, vocab)


def _trainer(run_dir, corpus, **changes) -> Trainer:
    vocab, train, valid = corpus
    options = dict(batch_size=16, epochs=2, progress=False, log_every=2, checkpoint_every=2, seed=1)
    return make_trainer(Trainer, tiny_vae(), ELBO(), RunConfig(**{**options, **changes}), run_dir, train, valid)


def test_monitor_logs_records_without_perturbing_training_and_resumes_identically(tmp_path, corpus):
    plain = _trainer(tmp_path / "plain", corpus, max_steps=8)
    plain.fit()
    monitored = _trainer(tmp_path / "monitored", corpus, max_steps=8, monitor_every=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PosteriorCollapseWarning)
        monitored.fit()
    for a, b in zip(plain.vae.state_dict().values(), monitored.vae.state_dict().values()):
        assert torch.equal(a, b)  # the monitor draws from the evaluation stream only
    records = [r for r in read_log(tmp_path / "monitored") if r["split"] == "monitor"]
    assert [r["step"] for r in records] == [3, 6]
    for r in records:
        assert r["sentences"] == 48 and r["elbo"] == pytest.approx(-(r["rate"] + r["distortion"]))
        assert r["marginal_kl"] == pytest.approx(r["rate"] - r["index_code_mi"], abs=1e-6)
        assert all(isinstance(r[k], float) for k in ("marginal_kl", "mmd", "ks_max", "active_units"))
    # stopped after 4 steps and resumed to 8: the same weights and the same monitor records
    first = _trainer(tmp_path / "resumed", corpus, max_steps=4, monitor_every=3)
    second = _trainer(tmp_path / "resumed", corpus, max_steps=8, monitor_every=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PosteriorCollapseWarning)
        first.fit()
        second.fit(resume=True)
    for a, b in zip(second.vae.state_dict().values(), monitored.vae.state_dict().values()):
        assert torch.equal(a, b)
    resumed = [r for r in read_log(tmp_path / "resumed") if r["split"] == "monitor"]
    assert resumed == records
    assert len(second.monitor.history) == 2


def test_monitor_needs_a_validation_set(tmp_path, corpus):
    vocab, train, _ = corpus
    with pytest.raises(ConfigError, match="validation set"):
        make_trainer(Trainer, tiny_vae(), ELBO(), RunConfig(monitor_every=5, progress=False), tmp_path, train, None)
    with pytest.raises(ConfigError, match="monitor_every"):
        RunConfig(monitor_every=0)
