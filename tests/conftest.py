"""Shared test set-up: caches in temporary folders, Pyro validation on, fresh param store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_CACHE = Path(tempfile.mkdtemp(prefix="pyrovae-test-cache-"))
os.environ.setdefault("HF_HOME", str(_CACHE / "hf"))
os.environ.setdefault("HF_DATASETS_CACHE", str(_CACHE / "hf-datasets"))
os.environ.setdefault("MPLCONFIGDIR", str(_CACHE / "mpl"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pyro  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PTB = REPO.parent / "shared" / "data" / "ptb"


@pytest.fixture(autouse=True)
def _pyro_state():
    pyro.clear_param_store()
    pyro.enable_validation(True)
    pyro.set_rng_seed(0)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    yield
    pyro.clear_param_store()


@pytest.fixture
def float64():
    """Float64 as the default dtype for the test (Pyro's IAF inverse starts from zeros of it)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


@pytest.fixture
def ptb_dir() -> Path:
    if not (PTB / "train.txt").exists():
        pytest.skip("Penn Treebank text not found beside the repository (../shared/data/ptb)")
    return PTB


@pytest.fixture(autouse=True)
def _registries():
    """Names a test's model or objective file registers do not outlive the test."""
    from pyrovae.infer.objective import OBJECTIVES
    from pyrovae.latent.posterior import POSTERIORS
    from pyrovae.latent.prior import PRIORS

    saved = [(registry, dict(registry._factories)) for registry in (OBJECTIVES, POSTERIORS, PRIORS)]
    yield
    for registry, factories in saved:
        registry._factories.clear()
        registry._factories.update(factories)
