"""Checkpoints: exact state round trips, RNG continuity, tied weights, verification, atomicity, pruning."""

from __future__ import annotations

import ast
import json
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from torch import nn

import pyrovae
from pyrovae.errors import CheckpointError, ConfigError
from pyrovae.train.checkpoint import CheckpointManager
from pyrovae.train.rng_state import capture_rng_state, restore_rng_state
from pyrovae.train.weights import load_weights, save_weights


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


def _tied_module(tied: bool) -> nn.Module:
    torch.manual_seed(0)
    emb = nn.Embedding(200, 32)
    out = nn.Linear(32, 200, bias=False)
    if tied:
        out.weight = emb.weight
    return nn.ModuleDict({"emb": emb, "out": out})


def _flip_byte_near_end(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------------------------------------
# Training state
# ---------------------------------------------------------------------------------------------


def test_optimizer_and_scheduler_resume_exactly(tmp_path: Path) -> None:
    model = _model()
    optimizer, scheduler = _optim(model)
    _train(model, optimizer, scheduler, steps=4, seed=0)

    manager = CheckpointManager(tmp_path)
    state = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "step": 4,
        "epoch": 1,
        "best": math.inf,
        "odd": {"nan": math.nan, "pair": (1, "a"), "none": None},
    }
    folder = manager.save("step-000004", model.state_dict(), state)
    assert folder == tmp_path / "checkpoints" / "step-000004"
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "model.safetensors", "state.pt"]
    assert json.loads((tmp_path / "checkpoints" / "latest.json").read_text())["step"] == 4
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == 2 and manifest["step"] == 4
    assert set(manifest["files"]) == {"model.safetensors", "state.pt"}

    weights, loaded = manager.load()
    _assert_same(state, loaded)  # the whole Adam state_dict, int parameter ids and tuples included
    assert list(loaded["optimizer"]["state"]) == [0, 1, 2, 3]

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


def test_state_that_weights_only_cannot_read_is_refused_at_save(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    with pytest.raises(CheckpointError, match="state/opt/fn: values of type object"):
        manager.save("t", {}, {"opt": {"fn": object()}})
    with pytest.raises(CheckpointError, match="state/best: values of type float64"):
        manager.save("t", {}, {"best": np.float64(1.0)})  # a float subclass pickles as numpy's
    assert not manager.checkpoint_root.exists()


def test_rng_capture_restore_continues_the_same_streams(tmp_path: Path) -> None:
    torch.manual_seed(1), random.seed(1), np.random.seed(1)
    torch.randn(3), random.gauss(0, 1), np.random.rand(), np.random.randn()  # leave cached gaussians
    manager = CheckpointManager(tmp_path)
    manager.save("t", {}, {"rng": capture_rng_state()})
    first = (torch.randn(5), [random.random() for _ in range(3)], random.gauss(0, 1), np.random.randn(4))
    torch.manual_seed(2), random.seed(2), np.random.seed(2)
    restore_rng_state(manager.load()[1]["rng"])
    second = (torch.randn(5), [random.random() for _ in range(3)], random.gauss(0, 1), np.random.randn(4))
    assert torch.equal(first[0], second[0])
    assert first[1] == second[1] and first[2] == second[2]
    assert np.array_equal(first[3], second[3])


def test_unusable_rng_state_raises() -> None:
    with pytest.raises(CheckpointError, match="unusable random number generator state"):
        restore_rng_state({"numpy": {"bit_generator": "MT19937"}})


# ---------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------


def test_tied_weights_are_stored_once_and_stay_tied(tmp_path: Path) -> None:
    tied, untied = _tied_module(tied=True), _tied_module(tied=False)
    manager = CheckpointManager(tmp_path / "tied")
    tied_size = (manager.save("t", tied.state_dict(), {}) / "model.safetensors").stat().st_size
    untied_dir = CheckpointManager(tmp_path / "untied").save("t", untied.state_dict(), {})
    untied_size = (untied_dir / "model.safetensors").stat().st_size
    one_copy = 200 * 32 * 4
    assert one_copy <= tied_size < one_copy + 1024 and untied_size >= 2 * one_copy

    loaded = manager.load_model_weights()
    assert set(loaded) == {"emb.weight", "out.weight"} and loaded["emb.weight"] is loaded["out.weight"]
    fresh = _tied_module(tied=True)
    nn.init.zeros_(fresh["emb"].weight)
    fresh.load_state_dict(loaded)
    assert fresh["out"].weight is fresh["emb"].weight
    assert torch.equal(fresh["out"].weight, tied["emb"].weight)


def test_weights_keep_contiguous_cpu_tensors_uncopied_and_copy_other_views(tmp_path, monkeypatch) -> None:
    base = torch.arange(12.0).reshape(3, 4)
    state = {"base": base, "row": base[1], "transposed": base.t(), "empty": torch.zeros(0), "other": torch.ones(2)}
    written = {}
    save_file = safetensors.torch.save_file

    def spy(tensors, filename, metadata=None):
        written.update(tensors)
        save_file(tensors, filename, metadata=metadata)

    monkeypatch.setattr(safetensors.torch, "save_file", spy)
    save_weights(tmp_path / "w.safetensors", state, metadata={"note": "kept"})
    assert written["base"].data_ptr() == base.data_ptr()
    assert written["other"].data_ptr() == state["other"].data_ptr()
    assert written["row"].untyped_storage().data_ptr() != base.untyped_storage().data_ptr()  # a copy
    loaded = load_weights(tmp_path / "w.safetensors")
    for name, tensor in state.items():
        assert torch.equal(loaded[name], tensor), name
    with safetensors.safe_open(str(tmp_path / "w.safetensors"), framework="pt") as handle:
        assert handle.metadata()["note"] == "kept"


def test_invalid_arguments(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        CheckpointManager(tmp_path, keep=0)
    manager = CheckpointManager(tmp_path)
    with pytest.raises(CheckpointError, match="invalid checkpoint tag"):
        manager.save("../escape", {}, {})
    with pytest.raises(CheckpointError, match="not a tensor"):
        manager.save("t", {"w": 3}, {})  # type: ignore[dict-item]
    assert not list(manager.checkpoint_root.iterdir())


# ---------------------------------------------------------------------------------------------
# Missing, damaged and foreign checkpoints
# ---------------------------------------------------------------------------------------------


def test_missing_checkpoint_raises_clear_error(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path / "run")
    assert not manager.exists()
    with pytest.raises(CheckpointError, match=re.escape("run `pyrovae fit` first, or drop --resume")):
        manager.load()
    with pytest.raises(CheckpointError, match="no 'best' checkpoint"):
        manager.load_model_weights("best")


def test_truncated_or_missing_file_raises(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    folder = manager.save("step-1", {"w": torch.ones(100)}, {"step": 1})
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    assert not manager.exists()
    with pytest.raises(CheckpointError, match=r"incomplete or corrupt \(model.safetensors has \d+ bytes"):
        manager.load()
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors is missing"):
        manager.load_model_weights()


@pytest.mark.parametrize("name", ["model.safetensors", "state.pt"])
def test_flipped_byte_raises_one_error_naming_the_file(tmp_path: Path, name: str) -> None:
    manager = CheckpointManager(tmp_path)
    folder = manager.save("step-1", {"w": torch.linspace(0, 1, 1000)}, {"step": 1, "m": torch.ones(1000)})
    _flip_byte_near_end(folder / name)
    assert manager.exists()  # present with the right size: only the checksum tells
    message = f"{name} does not match its sha256 checksum"
    with pytest.raises(CheckpointError, match=message):
        manager.load()
    if name == "model.safetensors":
        with pytest.raises(CheckpointError, match=message):
            manager.load_model_weights()
    else:  # evaluation reads the weights only
        assert torch.equal(manager.load_model_weights()["w"], torch.linspace(0, 1, 1000))


def test_format_1_checkpoint_says_it_was_written_by_an_earlier_pyrovae(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    folder = manager.checkpoint_root / "step-0000010"
    folder.mkdir(parents=True)
    safetensors.torch.save_file({"w": torch.ones(2)}, str(folder / "model.safetensors"))
    safetensors.torch.save_file({"rng/torch": torch.ones(2)}, str(folder / "state.safetensors"))
    (folder / "state.json").write_text(json.dumps({"format": "pyrovae-checkpoint", "version": 1, "state": {}}))
    (manager.checkpoint_root / "latest.json").write_text(json.dumps({"tag": "step-0000010", "step": 10}))
    assert not manager.exists()
    for read in (manager.load, manager.load_model_weights):
        with pytest.raises(CheckpointError) as error:
            read()
        assert "written by an earlier pyrovae (checkpoint format 1)" in str(error.value)
        assert "reads checkpoint format 2" in str(error.value) and "pyrovae 0.1" in str(error.value)


# ---------------------------------------------------------------------------------------------
# Atomicity and pruning
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


def _unsafe_loads(source: str) -> list[int]:
    """Lines of ``source`` that call ``torch.load`` without ``weights_only=True`` (or import it bare)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "torch":
            found += [node.lineno for a in node.names if a.name == "load"]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load":
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "torch":
                safe = any(
                    k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                    for k in node.keywords
                )
                if not safe:
                    found.append(node.lineno)
    return found


def test_torch_load_is_only_called_with_weights_only() -> None:
    assert _unsafe_loads("import torch\ntorch.load(f)\ntorch.load(f, weights_only=False)\n") == [2, 3]
    assert _unsafe_loads("from torch import load\ntorch.load(f, weights_only=True)\n") == [1]
    root = Path(pyrovae.__file__).parent
    unsafe = {
        str(path.relative_to(root)): lines
        for path in sorted(root.rglob("*.py"))
        if (lines := _unsafe_loads(path.read_text(encoding="utf-8")))
    }
    assert unsafe == {}
