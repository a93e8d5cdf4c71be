"""Diagnostics of the latent space and of the decoder's use of it, reconstruction and diversity
scores, syntactic minimal pairs, and a training-time monitor.

* :func:`diagnose_latents`: does the aggregate posterior :math:`q(z)` match the prior? Marginal
  KL, index-code MI, total correlation and dimension-wise KL, moments, KS and MMD
  (Barkhof 2021, section 4.2; Hoffman & Johnson 2016; Chen et al. 2018; Prokhorov et al. 2019).
* :func:`decoder_use`: accuracy drop and Jensen-Shannon divergence between decodings from
  posterior and prior codes (Barkhof 2021, section 4.3).
* :func:`bleu`, :func:`rouge`, :func:`reconstruction_scores`, :func:`self_bleu`: n-gram overlap of
  token strings (Prokhorov et al. 2019).
* :func:`read_minimal_pairs`, :func:`minimal_pairs`: Prokhorov et al.'s syntactic test.
* :class:`TrainingMonitor`: these checks every N training steps, with warnings on collapse and
  drift.

The formulas, units and the :math:`\\log N` bound of the mixture estimators are in
``docs/diagnostics.md`` and in each module's docstring.
"""

from pyrovae.diagnostics.decoder_use import DecoderUse, decoder_use, jensen_shannon
from pyrovae.diagnostics.latent_sample import LatentSample
from pyrovae.diagnostics.latents import LatentDiagnostics, diagnose_latents
from pyrovae.diagnostics.minimal_pairs import (
    MinimalPair,
    minimal_pairs,
    read_minimal_pairs,
)
from pyrovae.diagnostics.monitor import (
    LatentDriftWarning,
    PosteriorCollapseWarning,
    TrainingMonitor,
)
from pyrovae.diagnostics.overlap import bleu, rouge, self_bleu
from pyrovae.diagnostics.reconstruction import LENGTH_BUCKETS, reconstruction_scores

__all__ = [
    "DecoderUse",
    "LENGTH_BUCKETS",
    "LatentDiagnostics",
    "LatentDriftWarning",
    "LatentSample",
    "MinimalPair",
    "PosteriorCollapseWarning",
    "TrainingMonitor",
    "bleu",
    "decoder_use",
    "diagnose_latents",
    "jensen_shannon",
    "minimal_pairs",
    "read_minimal_pairs",
    "reconstruction_scores",
    "rouge",
    "self_bleu",
]
