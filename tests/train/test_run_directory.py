"""Run directories: what earlier versions wrote either loads or gets one message."""

from __future__ import annotations

import json

import pytest

import pyrovae
from pyrovae.errors import CheckpointError
from pyrovae.train.config import RunConfig
from pyrovae.train.run_directory import RUN_FORMAT, RUN_VERSION, RunDirectory


def _manifest(path, **changes):
    (path / "run.json").write_text(json.dumps({"format": RUN_FORMAT, "version": RUN_VERSION, **changes}))


def test_a_config_saved_without_later_fields_loads(tmp_path):
    saved = RunConfig(lr=0.002).to_dict()
    del saved["objective_optimizer"], saved["eval_mi_points"]  # fields added later
    saved["objective_lr"] = None  # "the same as lr", as it was then
    (tmp_path / "config.json").write_text(json.dumps(saved))
    _manifest(tmp_path)
    config = RunDirectory(tmp_path).load_config()
    assert config.objective_lr == 0.002 and config.objective_optimizer == "adam"
    assert config.eval_mi_points is None


def test_a_run_of_pyrovae_0_1_gets_one_message_naming_the_version(tmp_path):
    (tmp_path / "config.json").write_text(RunConfig().to_json())
    (tmp_path / "vocab.json").write_text("{}")
    with pytest.raises(CheckpointError, match=r"written by pyrovae 0\.1 \(run format 1.*reads run format 2"):
        RunDirectory(tmp_path).load_config()
    _manifest(tmp_path, version=7, pyrovae="9.9")
    with pytest.raises(CheckpointError, match=r"run format 7 \(written by pyrovae 9\.9\).*" + pyrovae.__version__):
        RunDirectory(tmp_path).load_config()
