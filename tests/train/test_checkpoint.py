"""Checkpoints: exact state round trips, RNG continuity, atomicity under kills, pruning, errors."""

from __future__ import annotations

import ast
import json
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import pyrovae.train.checkpoint as checkpoint_module
from pyrovae.errors import CheckpointError, ConfigError
from pyrovae.train.checkpoint import (
    CheckpointManager,
    atomic_write_json,
    atomic_write_text,
    capture_rng_state,
    flatten_state,
    restore_rng_state,
    unflatten_state,
)


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def _optim(model: nn.Module) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1 + step))
    return optimizer, scheduler


def _train(model, optimizer, scheduler, steps: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(5, 4, generator=gen)
        y = torch.randn(5, 3, generator=gen)
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def _assert_same(a, b) -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor)
        assert a.dtype == b.dtype and a.shape == b.shape
        assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        assert [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert type(a) is type(b) and a == b


# ---------------------------------------------------------------------------------------------
# flatten / unflatten
# ---------------------------------------------------------------------------------------------


def test_flatten_round_trip_keeps_key_types_tuples_and_odd_values() -> None:
    base = torch.arange(12.0).reshape(3, 4)
    obj = {
        "state": {0: {"exp_avg": base.t(), "step": torch.tensor(3.0)}, 1: {"m": base[1]}},
        "groups": [{"params": [0, 1], "betas": (0.9, 0.999), "lr": 1e-3, "name": None}],
        "shared": base,  # shares storage with the views above
        "flags": {True: "yes", 2.5: float("nan"), (1, "a"): float("-inf")},
        "__tensor__": "a plain string under a marker key",
        "empty": {},
        "np": np.arange(4, dtype=np.uint32),
        "np_scalar": np.float32(1.5),
    }
    tensors, skeleton = flatten_state(obj)
    text = json.dumps(skeleton, allow_nan=False)  # strictly JSON
    for t in tensors.values():
        assert t.is_contiguous() and t.device.type == "cpu"
    # distinct storages: safetensors accepts them
    ptrs = [t.untyped_storage().data_ptr() for t in tensors.values() if t.numel()]
    assert len(ptrs) == len(set(ptrs))
    back = unflatten_state(tensors, json.loads(text))
    np_back = back.pop("np")
    assert np_back.dtype == np.uint32 and np_back.tolist() == [0, 1, 2, 3]
    assert back.pop("np_scalar") == 1.5
    obj.pop("np"), obj.pop("np_scalar")
    _assert_same(obj, back)
    assert list(back["state"]) == [0, 1]


def test_flatten_rejects_unsupported_values() -> None:
    with pytest.raises(CheckpointError, match="opt/fn"):
        flatten_state({"opt": {"fn": object()}})


def test_unflatten_reports_missing_tensor() -> None:
    with pytest.raises(CheckpointError, match="missing tensor"):
        unflatten_state({}, {"a": {"__tensor__": "a"}})


# ---------------------------------------------------------------------------------------------
# RNG
# ---------------------------------------------------------------------------------------------


def test_rng_capture_restore_gives_identical_draws() -> None:
    torch.manual_seed(1), random.seed(1), np.random.seed(1)
    torch.randn(3), random.gauss(0, 1), np.random.rand(), np.random.randn()  # leave cached gaussians
    tensors, skeleton = flatten_state({"rng": capture_rng_state()})
    skeleton = json.loads(json.dumps(skeleton, allow_nan=False))
    first = (torch.randn(5), [random.random() for _ in range(3)], random.gauss(0, 1), np.random.randn(4))
    restore_rng_state(unflatten_state(tensors, skeleton)["rng"])
    second = (torch.randn(5), [random.random() for _ in range(3)], random.gauss(0, 1), np.random.randn(4))
    assert torch.equal(first[0], second[0])
    assert first[1] == second[1] and first[2] == second[2]
    assert np.array_equal(first[3], second[3])


# ---------------------------------------------------------------------------------------------
# CheckpointManager
# ---------------------------------------------------------------------------------------------


def test_optimizer_and_scheduler_resume_exactly(tmp_path: Path) -> None:
    model = _model()
    optimizer, scheduler = _optim(model)
    _train(model, optimizer, scheduler, steps=4, seed=0)

    manager = CheckpointManager(tmp_path)
    state = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": capture_rng_state(),
        "step": 4,
        "epoch": 1,
    }
    folder = manager.save("step-000004", model.state_dict(), state)
    assert folder == tmp_path / "checkpoints" / "step-000004"
    assert sorted(p.name for p in folder.iterdir()) == ["model.safetensors", "state.json", "state.safetensors"]
    assert json.loads((tmp_path / "checkpoints" / "latest.json").read_text())["step"] == 4

    weights, loaded = manager.load()
    assert loaded["step"] == 4 and loaded["epoch"] == 1
    _assert_same(optimizer.state_dict()["state"], loaded["optimizer"]["state"])
    assert all(isinstance(k, int) for k in loaded["optimizer"]["state"])

    restored = _model()
    restored.load_state_dict(weights)
    r_opt, r_sched = _optim(restored)
    r_opt.load_state_dict(loaded["optimizer"])
    r_sched.load_state_dict(loaded["scheduler"])

    _train(model, optimizer, scheduler, steps=3, seed=7)
    _train(restored, r_opt, r_sched, steps=3, seed=7)
    for a, b in zip(model.parameters(), restored.parameters()):
        assert torch.equal(a, b)
    assert scheduler.get_last_lr() == r_sched.get_last_lr()


def test_tied_weights_are_saved(tmp_path: Path) -> None:
    emb = nn.Embedding(5, 3)
    out = nn.Linear(3, 5, bias=False)
    out.weight = emb.weight
    model = nn.ModuleDict({"emb": emb, "out": out})
    manager = CheckpointManager(tmp_path)
    manager.save("t", model.state_dict(), {})
    weights = manager.load_model_weights()
    assert torch.equal(weights["emb.weight"], weights["out.weight"])
    assert torch.equal(weights["emb.weight"], emb.weight.detach())


def test_missing_checkpoint_raises_clear_error(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path / "run")
    assert not manager.exists()
    with pytest.raises(CheckpointError, match=re.escape("run `pyrovae fit` first, or drop --resume")):
        manager.load()
    with pytest.raises(CheckpointError, match="no 'best' checkpoint"):
        manager.load_model_weights("best")


def test_invalid_arguments(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        CheckpointManager(tmp_path, keep=0)
    manager = CheckpointManager(tmp_path)
    with pytest.raises(CheckpointError, match="invalid checkpoint tag"):
        manager.save("../escape", {}, {})
    with pytest.raises(CheckpointError, match="not a tensor"):
        manager.save("t", {"w": 3}, {})  # type: ignore[dict-item]


def test_simulated_kill_leaves_last_complete_checkpoint(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    w1 = {"w": torch.ones(3)}
    manager.save("step-000001", w1, {"step": 1})
    root = tmp_path / "checkpoints"

    # A writer killed mid-save: a partial temporary folder with a truncated file, and a partial
    # temporary pointer file; latest.json was never touched.
    tmp = root / ".tmp-step-000002.999.deadbeef"
    tmp.mkdir()
    (tmp / "model.safetensors").write_bytes(b"\x10\x00\x00")
    (root / ".tmp-latest.json.999.deadbeef").write_text('{"tag": "step-0')

    assert manager.exists()
    weights, state = manager.load()
    assert torch.equal(weights["w"], w1["w"]) and state["step"] == 1

    # The next save cleans the leftovers.
    manager.save("step-000002", {"w": torch.zeros(3)}, {"step": 2})
    assert not list(root.glob(".tmp-*"))
    assert manager.load()[1]["step"] == 2


def test_corrupt_checkpoint_raises(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    folder = manager.save("step-1", {"w": torch.ones(100)}, {"step": 1})
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    assert not manager.exists()
    with pytest.raises(CheckpointError, match="incomplete or corrupt"):
        manager.load()
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors is missing"):
        manager.load_model_weights()


def test_resave_same_tag_and_kill_between_renames(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    manager.save("final", {"w": torch.ones(2)}, {"step": 1})
    manager.save("final", {"w": torch.full((2,), 2.0)}, {"step": 2})
    assert manager.load()[1]["step"] == 2
    assert not list((tmp_path / "checkpoints").glob(".old-*"))
    # Killed after moving the old copy aside but before the new one moved in:
    root = tmp_path / "checkpoints"
    (root / "final").rename(root / ".old-final.123.abcdef01")
    weights, state = manager.load()
    assert state["step"] == 2 and torch.equal(weights["w"], torch.full((2,), 2.0))


def test_keep_prunes_old_checkpoints_but_not_best(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path, keep=2)
    root = tmp_path / "checkpoints"
    for step in range(1, 6):
        pointer = "best" if step == 2 else None
        manager.save(f"step-{step:06d}", {"w": torch.full((2,), float(step))}, {"step": step}, pointer=pointer)
    tags = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert tags == ["step-000002", "step-000004", "step-000005"]
    assert json.loads((root / "best.json").read_text())["tag"] == "step-000002"
    assert json.loads((root / "latest.json").read_text()) | {"time": None} == {
        "tag": "step-000005",
        "step": 5,
        "time": None,
    }
    assert torch.equal(manager.load_model_weights("best")["w"], torch.full((2,), 2.0))
    assert manager.load("latest")[1]["step"] == 5
    assert manager.exists("best")

    # once best moves on, the old best is pruned at the next save
    manager.save("step-000006", {"w": torch.zeros(2)}, {"step": 6}, pointer="best")
    tags = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert tags == ["step-000005", "step-000006"]


def test_atomic_write_helpers(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.json"
    atomic_write_json(path, {"a": 1, "b": [1, 2]})
    assert json.loads(path.read_text()) == {"a": 1, "b": [1, 2]}
    atomic_write_text(path, "replaced\n")
    assert path.read_text() == "replaced\n"
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]
    with pytest.raises(ValueError):
        atomic_write_json(path, {"x": float("nan")})
    assert path.read_text() == "replaced\n"
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]


def _pickle_uses(source: str) -> list[str]:
    """Calls of torch.load/torch.save and imports of pickle-based modules in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in {"load", "save"}:
            if isinstance(node.value, ast.Name) and node.value.id == "torch":
                found.append(f"torch.{node.attr}")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in _PICKLERS]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in _PICKLERS:
                found.append(node.module or "")
            if node.module == "torch":
                found += [a.name for a in node.names if a.name in {"load", "save"}]
    return found


_PICKLERS = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def test_no_pickle_in_checkpoint_sources() -> None:
    import pyrovae.train.run_log as run_log_module

    assert _pickle_uses("import pickle\nx = torch.load(f)") == ["pickle", "torch.load"]
    for module in (checkpoint_module, run_log_module):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert _pickle_uses(source) == [], module.__name__
        assert not re.search(r"(?<![\w.])torch\.load\(", source)
