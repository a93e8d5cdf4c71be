"""Latent samples files: a safetensors round trip, and clear errors for files that are not ours."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from pyrovae.analysis import GroupedSamples, LatentSamples, RunLatents
from pyrovae.errors import DataError


def _samples(n: int = 5, d: int = 3, rate: bool = True) -> LatentSamples:
    generator = torch.Generator().manual_seed(n * d)
    z = torch.randn(n, d, generator=generator)
    normal = torch.distributions.Normal(0.0, 1.0)
    return LatentSamples(
        z, normal.log_prob(z).sum(-1), normal.log_prob(z), torch.rand(n, generator=generator) if rate else None,
        torch.arange(n) * 2 if rate else None,
    )


def test_round_trip_keeps_tensors_and_metadata(tmp_path):
    latents = RunLatents(_samples(), _samples(7, rate=False), {"run": "/runs/elbo", "split": "valid", "seed": 3})
    path = latents.save(tmp_path / "sub" / "elbo.safetensors")
    loaded = RunLatents.load(path)
    for name in ("z", "log_prior", "log_prior_dims", "rate", "sentence"):
        torch.testing.assert_close(getattr(loaded.aggregate, name), getattr(latents.aggregate, name))
    assert loaded.prior.num_samples == 7 and loaded.prior.rate is None and loaded.prior.sentence is None
    assert loaded.metadata["split"] == "valid" and loaded.metadata["seed"] == 3 and loaded.metadata["latent_dim"] == 3
    assert loaded.name == "elbo"
    assert not list(tmp_path.rglob("*.tmp"))


def test_subset_keeps_rows_aligned():
    samples = _samples(6)
    subset = samples.subset(torch.tensor([4, 1]))
    torch.testing.assert_close(subset.z, samples.z[[4, 1]])
    assert subset.sentence.tolist() == [8, 2]


def test_bad_files_get_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist.*pyrovae latents"):
        RunLatents.load(tmp_path / "missing.safetensors")
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="not a readable safetensors file"):
        RunLatents.load(empty)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2)}, str(foreign))
    with pytest.raises(DataError, match="no pyrovae metadata"):
        RunLatents.load(foreign)
    no_rows = tmp_path / "no_rows.safetensors"
    meta = {"pyrovae": json.dumps({"format": "pyrovae-latents", "version": 1})}
    save_file({"aggregate.z": torch.zeros(0, 3), "aggregate.log_prior": torch.zeros(0)}, str(no_rows), metadata=meta)
    with pytest.raises(DataError, match="no_rows.safetensors.*non-empty"):
        RunLatents.load(no_rows)
    newer = tmp_path / "newer.safetensors"
    save_file({"aggregate.z": torch.zeros(1, 3)}, str(newer), metadata={"pyrovae": json.dumps({"format": "pyrovae-latents", "version": 99})})
    with pytest.raises(DataError, match="version 99"):
        RunLatents.load(newer)


def test_inconsistent_samples_and_groups_are_rejected():
    with pytest.raises(DataError, match="log_prior must have shape"):
        LatentSamples(torch.zeros(4, 2), torch.zeros(3))
    with pytest.raises(DataError, match="NaN"):
        LatentSamples(torch.zeros(2, 2), torch.tensor([0.0, float("inf")]))
    with pytest.raises(DataError, match="different latent dimensions.*a: 3, b: 2"):
        GroupedSamples({"a": _samples(d=3), "b": _samples(d=2)})
    with pytest.raises(DataError, match="no groups"):
        GroupedSamples({})
