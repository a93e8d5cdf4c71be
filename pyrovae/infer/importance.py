r"""Importance-weighted estimate of the log marginal likelihood of each data point.

For a model ``p(x, z)`` and a guide ``q(z | x)`` the importance-weighted estimate with ``K``
samples is (Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders", arXiv:1509.00519)

.. math::
    \widehat{\log p}_K(x) = \log \frac{1}{K} \sum_{k=1}^K \frac{p(x, z_k)}{q(z_k \mid x)},
    \qquad z_k \sim q(z \mid x).

Its expectation is a lower bound on :math:`\log p(x)` that increases with ``K`` and equals the
ELBO at ``K = 1``; it is exact for every ``K`` when ``q`` is the true posterior. Text-VAE papers
report it with ``K = 500`` (He et al. 2019, arXiv:1901.05534; Barkhof 2021).

Latent sites that the model samples but the guide does not are proposed from their prior (the
model draws them during replay), so their prior density cancels from the weight.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

import pyro
import torch
from pyro import poutine
from pyro.distributions.util import scale_and_mask
from pyro.poutine import Trace
from pyro.poutine.util import site_is_subsample

from pyrovae.errors import ConfigError, UnsupportedModelError

#: Name of the vectorised plate over importance samples.
SAMPLE_PLATE = "importance_samples"

#: Default memory budget of one chunk, in tensor elements of the largest tensors the model's and
#: guide's distributions hold (a decoder's ``[chunk, B, T, V]`` logits): 2**26 float32 elements
#: are 256 MiB.
DEFAULT_ELEMENT_BUDGET = 2**26


def _sample_sites(trace: Trace) -> Iterable[tuple[str, dict]]:
    for name, site in trace.nodes.items():
        if site["type"] != "sample" or site_is_subsample(site):
            continue
        if not site["infer"].get("_deterministic", False):
            yield name, site


def _latent_names(trace: Trace) -> list[str]:
    return [name for name, site in _sample_sites(trace) if not site["is_observed"]]


def _data_plate(model_trace: Trace) -> tuple[str, int, int] | None:
    """``(name, dim, size)`` of the plate of the observed sites (the data plate), or None.

    The data plate is the vectorised plate, other than the importance-sample plate, that every
    observed site lies in. A model without one treats all its data as a single data point.
    """
    shared: dict[str, tuple[int, int]] | None = None
    for _, site in _sample_sites(model_trace):
        if not site["is_observed"]:
            continue
        frames = {
            f.name: (f.dim, f.size)
            for f in site["cond_indep_stack"]
            if f.vectorized and f.name != SAMPLE_PLATE
        }
        shared = frames if shared is None else {k: v for k, v in shared.items() if k in frames}
    if shared is None:
        raise UnsupportedModelError(
            "the model has no observed site: an importance-weighted log-likelihood needs data "
            "(pyro.sample(..., obs=...))"
        )
    if len(shared) > 1:
        raise UnsupportedModelError(
            f"the observed sites share several plates {sorted(shared)}; the per-data-point "
            "log-likelihood needs exactly one data plate around the observed sites"
        )
    if not shared:
        return None
    (name, (dim, size)), = shared.items()
    return name, dim, size


def _per_data_point(site: dict, sample_dim: int, data_dim: int | None, name: str) -> torch.Tensor:
    """``[k or 1, B or 1]``: a site's log-density summed over every dim but samples and data."""
    log_prob = site["fn"].log_prob(site["value"])
    log_prob = scale_and_mask(log_prob, mask=site["mask"])
    nesting = -sample_dim
    if log_prob.dim() > nesting:
        raise UnsupportedModelError(
            f"site {name!r} has batch shape {tuple(log_prob.shape)}, more dimensions than "
            f"max_plate_nesting + 1 = {nesting}; raise max_plate_nesting to the model's plate depth"
        )
    log_prob = log_prob.reshape((1,) * (nesting - log_prob.dim()) + log_prob.shape)
    keep = {nesting + sample_dim} | ({nesting + data_dim} if data_dim is not None else set())
    others = [d for d in range(nesting) if d not in keep]
    if others:
        log_prob = log_prob.sum(others, keepdim=True)
    rows = log_prob.shape[nesting + sample_dim]
    cols = log_prob.shape[nesting + data_dim] if data_dim is not None else 1
    return log_prob.reshape(rows, cols)


def _in_plate(site: dict, plate: str | None) -> bool:
    return plate is None or any(f.name == plate for f in site["cond_indep_stack"])


def _log_weights(
    model_trace: Trace, guide_trace: Trace, sample_dim: int, plate: tuple[str, int, int] | None
) -> torch.Tensor:
    """``[k, B]`` log importance weights ``log p(x, z_k) - log q(z_k | x)`` per data point."""
    plate_name, data_dim, size = plate if plate is not None else (None, None, 1)
    proposed = set(_latent_names(guide_trace))
    terms: list[torch.Tensor] = []
    for trace, sign, keep in (
        (model_trace, 1.0, lambda n, s: s["is_observed"] or n in proposed),
        (guide_trace, -1.0, lambda n, s: not s["is_observed"]),
    ):
        for name, site in _sample_sites(trace):
            if not keep(name, site):
                continue
            if not _in_plate(site, plate_name):
                raise UnsupportedModelError(
                    f"site {name!r} lies outside the data plate {plate_name!r} (the plate of the "
                    "observed sites): with a global latent variable the log-likelihood does not "
                    "split into one term per data point; if the guide names its data plate "
                    "differently from the model, give both the same name"
                )
            terms.append(sign * _per_data_point(site, sample_dim, data_dim, name))
    k = max(t.shape[0] for t in terms)
    return sum(t.expand(k, size) for t in terms)


def _element_count(fn) -> int:
    """Elements of the largest tensor a distribution materialises (its logits, or its shape)."""
    count = (fn.batch_shape + fn.event_shape).numel()
    while fn is not None:
        for attr in ("logits", "probs"):
            value = fn.__dict__.get(attr)
            if torch.is_tensor(value):
                count = max(count, value.numel())
        fn = getattr(fn, "base_dist", None)
    return count


def _chunk_size(traces: Iterable[Trace], budget: int, remaining: int) -> int:
    """Samples per chunk such that a chunk's distributions hold about ``budget`` elements."""
    per_sample = sum(_element_count(site["fn"]) for t in traces for _, site in _sample_sites(t))
    return max(1, min(remaining, budget // max(per_sample, 1)))


def _traces(model: Callable, guide: Callable, k: int, sample_dim: int, args, kwargs):
    with pyro.plate(SAMPLE_PLATE, k, dim=sample_dim):
        guide_trace = poutine.trace(guide).get_trace(*args, **kwargs)
        model_trace = poutine.trace(poutine.replay(model, trace=guide_trace)).get_trace(
            *args, **kwargs
        )
    return model_trace, guide_trace


@torch.no_grad()
def importance_log_likelihood(
    model: Callable,
    guide: Callable,
    *args,
    num_samples: int = 500,
    max_plate_nesting: int = 1,
    samples_per_chunk: int | None = None,
    **kwargs,
) -> torch.Tensor:
    r"""Importance-weighted estimates of :math:`\log p(x_b)` for every data point ``b``.

    Runs ``guide(*args, **kwargs)`` vectorised under ``pyro.plate("importance_samples", k,
    dim=-(max_plate_nesting + 1))``, replays ``model`` against it and sums each site's
    log-density over every dimension but the sample dimension and the data-plate dimension,
    giving ``[k, B]`` log weights. Chunks of ``k`` samples are combined with a running
    ``logsumexp`` (in float64), so memory does not grow with ``num_samples``.

    The data plate is the plate of the model's observed sites (found by site type, not by name);
    a model without one is treated as a single data point (result ``[1]``). Every latent site must
    lie in the data plate. Site scales (subsampling, ``poutine.scale``) are ignored: the estimate
    is of the unscaled model; masks are respected. A model without latent sites is scored once:
    the result is its exact log-likelihood whatever ``num_samples``.

    Args:
        model, guide: a Pyro model and guide taking ``*args, **kwargs``.
        num_samples: ``K``, importance samples per data point.
        max_plate_nesting: plate depth of model and guide (1 for pyrovae models).
        samples_per_chunk: samples drawn at once; by default as many as keep the distributions
            of one chunk within :data:`DEFAULT_ELEMENT_BUDGET` elements. The first sample is
            always drawn alone, as a probe that finds the data plate and measures the size of
            one sample's distributions; it counts as one of the ``K`` samples.

    Returns:
        ``[B]`` estimates in nats per data point, in the dtype of the log weights.

    Raises:
        ConfigError: when ``num_samples`` or ``samples_per_chunk`` is not positive.
        UnsupportedModelError: no observed site, several data plates, or global latents.

    Reference: Burda et al., "Importance Weighted Autoencoders" (arXiv:1509.00519).
    """
    if num_samples < 1:
        raise ConfigError(f"num_samples must be at least 1, got {num_samples}")
    if samples_per_chunk is not None and samples_per_chunk < 1:
        raise ConfigError(f"samples_per_chunk must be at least 1, got {samples_per_chunk}")
    sample_dim = -(max_plate_nesting + 1)

    model_trace, guide_trace = _traces(model, guide, 1, sample_dim, args, kwargs)
    plate = _data_plate(model_trace)
    first = _log_weights(model_trace, guide_trace, sample_dim, plate)
    if not _latent_names(model_trace) and not _latent_names(guide_trace):
        return first[0]
    total = torch.logsumexp(first.double(), 0)
    remaining = num_samples - 1
    chunk = samples_per_chunk or _chunk_size(
        (model_trace, guide_trace), DEFAULT_ELEMENT_BUDGET, max(remaining, 1)
    )
    del model_trace, guide_trace
    while remaining > 0:
        k = min(chunk, remaining)
        model_trace, guide_trace = _traces(model, guide, k, sample_dim, args, kwargs)
        weights = _log_weights(model_trace, guide_trace, sample_dim, plate)
        total = torch.logaddexp(total, torch.logsumexp(weights.double(), 0))
        remaining -= k
        del model_trace, guide_trace, weights
    return (total - math.log(num_samples)).to(first.dtype)
