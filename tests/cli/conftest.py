"""Fixtures for command-line tests: a tiny corpus and a tiny, fast model configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyrovae.data import default_corpus

#: options that make a run take seconds on 2 CPU cores.
TINY = [
    "model.latent_dim=4",
    "model.embed_dim=16",
    "model.hidden_dim=24",
    "batch_size=16",
    "eval_batch_size=32",
    "progress=false",
    "eval_iw_samples=5",
]


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> dict[str, Path]:
    """The first 320/64/64 sentences of the bundled corpus as train/valid/test files."""
    paths = {}
    for split, count in (("train", 320), ("valid", 64), ("test", 64)):
        lines = default_corpus()[split].read_text(encoding="utf-8").splitlines()[:count]
        path = tmp_path / f"{split}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths[split] = path
    return paths


def data_args(corpus: dict[str, Path]) -> list[str]:
    return ["--data"] + [f"{split}={path}" for split, path in corpus.items()]
