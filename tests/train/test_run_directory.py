"""Run directories written by earlier versions still load."""

from __future__ import annotations

import json

from pyrovae.train.config import RunConfig
from pyrovae.train.run_directory import RunDirectory


def test_a_config_saved_before_objective_optimizers_loads(tmp_path):
    saved = RunConfig(lr=0.002).to_dict()
    del saved["objective_optimizer"], saved["eval_mi_points"]  # fields added later
    saved["objective_lr"] = None  # "the same as lr", as it was then
    (tmp_path / "config.json").write_text(json.dumps(saved))
    config = RunDirectory(tmp_path).load_config()
    assert config.objective_lr == 0.002 and config.objective_optimizer == "adam"
    assert config.eval_mi_points is None
