"""Estimate: mean and standard error of the mean, formatting."""

from __future__ import annotations

import math

import pytest
import torch

from pyrovae.errors import DataError
from pyrovae.metrics import Estimate


def test_from_samples_is_mean_and_standard_error_with_ddof_1():
    estimate = Estimate.from_samples(torch.tensor([1.0, 2.0, 3.0, 4.0]), "nats")
    assert estimate.value == pytest.approx(2.5)
    # sample sd (ddof=1) = sqrt(5/3); divided by sqrt(4)
    assert estimate.stderr == pytest.approx(math.sqrt(5 / 3) / 2)
    assert estimate.unit == "nats"


def test_single_value_has_no_standard_error_and_empty_is_an_error():
    assert Estimate.from_samples(torch.tensor([3.5]), "nats").stderr is None
    with pytest.raises(DataError):
        Estimate.from_samples(torch.tensor([]), "nats")


def test_formatting():
    assert str(Estimate(101.234, 0.45, "nats/sentence")) == "101.23 ± 0.45 nats/sentence"
    assert str(Estimate(0.03512, 0.0012, "nats")) == "0.0351 ± 0.0012 nats"
    assert str(Estimate(3761.0, None, "sentences")) == "3761 sentences"
    assert str(Estimate(0.0, None, "units", "no latent")) == "0 units (no latent)"


def test_to_dict():
    assert Estimate(1.5, None, "nats").to_dict() == {
        "value": 1.5,
        "stderr": None,
        "unit": "nats",
        "note": None,
    }
