r"""``TrainingMonitor``: watch the latent space during training and warn once when it goes wrong.

Every ``every`` optimizer steps (``RunConfig.monitor_every``) the trainer hands the model to the
monitor, which scores a fixed set of held-out sentences (the first ``num_sentences`` of the
validation set, the same at every check) and returns one record for the run log (split
``"monitor"``):

================== ============== ===========================================================
key                unit           meaning
================== ============== ===========================================================
rate, distortion   nats/sentence  the true rate and distortion (:func:`pyrovae.metrics.evaluate`)
elbo               nats/sentence  ``-(rate + distortion)``
active_units       units          Burda et al.'s count
marginal_kl        nats           :math:`\mathrm{KL}(q(z)\|p(z))` (:mod:`pyrovae.metrics.marginal_kl`)
marginal_kl_floor  nats           ``max(0, rate - log N)``: the estimate cannot go below it
index_code_mi      nats           rate - marginal KL
mmd                MMD^2          kernel MMD between ancestral codes and prior draws
ks_max             KS statistic   largest per-dimension KS statistic against the prior
sentences          sentences      ``N``
================== ============== ===========================================================

It warns (``warnings.warn``, once per run and kind) about

* **posterior collapse** (:class:`PosteriorCollapseWarning`): the rate falls below
  ``collapse_rate`` nats (0.1) after having been above it at an earlier check, or is below it with
  no active unit;
* **aggregate-posterior drift** (:class:`LatentDriftWarning`): over the last ``drift_window``
  checks (3) the marginal KL rose at every check, by more than ``drift_tolerance`` nats (0.05) in
  all, while the rate and the MMD to the prior rose too: the extra rate is going into
  :math:`\mathrm{KL}(q(z)\|p(z))` instead of the mutual information, the pathological
  high-rate, high-marginal-KL region of Barkhof (2021, section 4.2.2), which spoils generation from
  the prior (Prokhorov et al. 2019, section 3.2). The MMD condition guards against a rise that is only the estimator's
  :math:`\log N` floor following the rate up.

Measurements run with no gradients, in evaluation mode (modes restored afterwards), and the
trainer runs them in its evaluation random stream, so training is the same with or without the
monitor and a resumed run continues identically. On resume the monitor's history is rebuilt
from the run log, silently.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Sequence

import torch

from pyrovae.diagnostics.latents import diagnose_latents
from pyrovae.errors import ConfigError, DataError
from pyrovae.metrics.evaluate import evaluate
from pyrovae.text.batch import TokenBatch

#: Held-out sentences scored at every check.
DEFAULT_SENTENCES = 500

#: The split name of monitor records in the run log.
SPLIT = "monitor"


class PosteriorCollapseWarning(UserWarning):
    """The rate fell below the collapse threshold during training."""


class LatentDriftWarning(UserWarning):
    """The aggregate posterior is moving away from the prior while the rate grows."""


class TrainingMonitor:
    """Latent-space checks on fixed held-out batches, with warn-once rules.

    Args:
        batches: the held-out sentences, scored at every check.
        every: optimizer steps between checks.
        collapse_rate: rate (nats per sentence) below which the posterior counts as collapsed.
        drift_window: consecutive checks over which drift is judged (at least 2).
        drift_tolerance: least rise of the marginal KL over the window that counts (nats).
    """

    def __init__(
        self,
        batches: Sequence[TokenBatch],
        every: int,
        *,
        collapse_rate: float = 0.1,
        drift_window: int = 3,
        drift_tolerance: float = 0.05,
    ) -> None:
        if every < 1:
            raise ConfigError(f"the monitor needs every >= 1 optimizer steps, got {every}")
        if drift_window < 2:
            raise ConfigError(f"drift_window must be at least 2 checks, got {drift_window}")
        if sum(b.size for b in batches) < 2:
            raise DataError("the training monitor needs at least 2 held-out sentences")
        self.batches, self.every = list(batches), every
        self.collapse_rate, self.drift_window, self.drift_tolerance = collapse_rate, drift_window, drift_tolerance
        self.history: list[dict[str, float]] = []
        self.warned: set[str] = set()

    @classmethod
    def from_batches(
        cls,
        batches: Iterable[TokenBatch],
        every: int,
        *,
        num_sentences: int = DEFAULT_SENTENCES,
        device: torch.device | str | None = None,
        **options: Any,
    ) -> "TrainingMonitor":
        """A monitor over the first ``num_sentences`` sentences of a held-out set.

        ``batches`` is the validation set: a :class:`~pyrovae.data.FixedBatches` gives its first
        sentences in file order (``first``); any other iterable gives those of its first batches.
        """
        first = getattr(batches, "first", None)
        if callable(first):
            chosen = first(num_sentences)
        else:
            chosen, count = [], 0
            for batch in batches:
                if count >= num_sentences:
                    break
                chosen.append(batch.select(slice(0, num_sentences - count)))
                count += chosen[-1].size
        if device is not None:
            chosen = [b.to(device) for b in chosen]
        return cls(chosen, every, **options)

    def due(self, step: int) -> bool:
        """Whether a check is due after optimizer step ``step``."""
        return step % self.every == 0

    def measure(self, vae: Any, step: int | None = None) -> dict[str, float]:
        """Score the held-out batches after optimizer step ``step``, apply the warning rules, and
        return the record's values."""
        report = evaluate(vae, self.batches, iw_samples=0)
        latents = diagnose_latents(vae, self.batches).scalars
        rate = report["rate"].value
        record = {
            "rate": rate,
            "distortion": report["distortion"].value,
            "elbo": report["elbo"].value,
            "active_units": report["active_units"].value,
            "marginal_kl": latents["marginal_kl"].value,
            "marginal_kl_floor": max(0.0, rate - math.log(latents["num_sentences"].value)),
            "index_code_mi": latents["index_code_mi"].value,
            "mmd": latents["mmd"].value,
            "ks_max": latents["ks_max"].value,
            "sentences": latents["num_sentences"].value,
        }
        for message, category in self.check(record if step is None else {**record, "step": step}):
            warnings.warn(message, category, stacklevel=2)
        return record

    def check(self, record: dict[str, float]) -> list[tuple[str, type[UserWarning]]]:
        """Add a record to the history; return the warnings it triggers for the first time."""
        self.history.append(dict(record))
        found = []
        for kind, rule in (("collapse", self._collapse), ("drift", self._drift)):
            message = rule() if kind not in self.warned else None
            if message is not None:
                self.warned.add(kind)
                found.append((message, PosteriorCollapseWarning if kind == "collapse" else LatentDriftWarning))
        return found

    def restore(self, records: Iterable[dict[str, Any]]) -> None:
        """Rebuild the history (and which warnings were given) from logged monitor records."""
        self.history, self.warned = [], set()
        for record in records:
            if record.get("split") == SPLIT:
                self.check(record)

    def _collapse(self) -> str | None:
        current = self.history[-1]
        rate = current["rate"]
        if not rate < self.collapse_rate:
            return None
        was_above = any(r["rate"] >= self.collapse_rate for r in self.history[:-1])
        if not (was_above or current.get("active_units") == 0):
            return None
        step = current.get("step", len(self.history))
        return (
            f"posterior collapse at step {step}: the held-out rate is {rate:.3f} nats/sentence "
            f"(below {self.collapse_rate}) with {current.get('active_units', float('nan')):.0f} active units; the "
            "decoder is ignoring z. Consider free bits, MDR, beta_C, KL annealing or aggressive training"
        )

    def _drift(self) -> str | None:
        if len(self.history) < self.drift_window:
            return None
        window = self.history[-self.drift_window :]
        kl = [r["marginal_kl"] for r in window]
        if any(not math.isfinite(v) for v in kl):
            return None
        rising = all(b > a for a, b in zip(kl, kl[1:])) and kl[-1] - kl[0] > self.drift_tolerance
        if not (rising and window[-1]["rate"] > window[0]["rate"] and window[-1]["mmd"] > window[0]["mmd"]):
            return None
        step = window[-1].get("step", len(self.history))
        return (
            f"the aggregate posterior is drifting from the prior at step {step}: over the last "
            f"{self.drift_window} checks the marginal KL rose {kl[0]:.2f} -> {kl[-1]:.2f} nats and the "
            f"MMD to the prior {window[0]['mmd']:.4f} -> {window[-1]['mmd']:.4f} while the rate rose "
            f"{window[0]['rate']:.2f} -> {window[-1]['rate']:.2f} nats/sentence: the extra rate goes into "
            "KL(q(z)||p(z)) rather than I(x;z), which spoils generation from the prior (Barkhof 2021, 4.2.2; Prokhorov et al. 2019, 3.2)"
        )
