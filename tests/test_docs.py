"""The API reference builds from the docstrings, and every public module has one."""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import pyrovae

pytestmark = pytest.mark.slow  # end to end: `-m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[1]


def test_every_module_has_a_docstring():
    missing = []
    for info in pkgutil.walk_packages(pyrovae.__path__, "pyrovae."):
        module = importlib.import_module(info.name)
        if not (module.__doc__ or "").strip():
            missing.append(info.name)
    assert not missing, f"modules without a docstring: {missing}"


def test_api_reference_builds(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "docs" / "build_api.py"), str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "pyrovae" / "vae.html").is_file()
    assert (tmp_path / "pyrovae" / "infer" / "mdr.html").is_file()
    assert (tmp_path / "pyrovae" / "train" / "checkpoint.html").is_file()
    assert "TokenSequence" in (tmp_path / "pyrovae" / "distributions.html").read_text()


def test_the_config_example_is_a_valid_run_configuration():
    from pyrovae.cli.options import merge, read_config_file
    from pyrovae.train.config import RunConfig

    config = RunConfig.from_dict(merge({"model": {}}, read_config_file(str(REPO / "docs" / "config-example.toml"))))
    assert config.objective == "free_bits" and config.objective_options == {"per_dim": 0.25}
    assert config.model["latent_dim"] == 32 and config.select == "last"
