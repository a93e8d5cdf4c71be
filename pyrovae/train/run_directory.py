"""A run directory: everything needed to reload, evaluate or continue a trained model.

Layout (written by ``pyrovae fit``)::

    RUN_DIR/
        config.json          the RunConfig (JSON)
        vocab.json           the vocabulary the model was trained with
        model.py             a copy of the model file (the run does not depend on the original)
        posterior.py         a copy of the guide file, when --set posterior=FILE.py named one
        prior.py             a copy of the prior file, when --set prior=FILE.py named one
        checkpoints/         see pyrovae.train.checkpoint
        metrics.jsonl/.csv   the training log
        train_summary.json   how training ended
        final_metrics.json   evaluation of the best checkpoint at the end of training
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from pyrovae.atomic import atomic_write_text
from pyrovae.data.vocabulary import Vocabulary
from pyrovae.errors import CheckpointError
from pyrovae.latent.factory import configured_factories, is_file_spec
from pyrovae.train.checkpoint import CheckpointManager
from pyrovae.train.config import RunConfig


class RunDirectory:
    """Read and write the files of one run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def vocab_path(self) -> Path:
        return self.path / "vocab.json"

    @property
    def model_file_path(self) -> Path:
        return self.path / "model.py"

    @property
    def checkpoints(self) -> CheckpointManager:
        return CheckpointManager(self.path)

    def exists(self) -> bool:
        return self.config_path.is_file()

    def require(self) -> None:
        if not self.path.is_dir():
            raise CheckpointError(f"run directory {self.path} does not exist: pass the --out folder of a `pyrovae fit` run")
        if not self.exists():
            raise CheckpointError(f"{self.path} is not a pyrovae run (no config.json): pass the --out folder of a `pyrovae fit` run")

    def save_setup(self, config: RunConfig, vocab: Vocabulary, model_file: Path) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.config_path, config.to_json())
        vocab.save(self.vocab_path)
        copies = {self.model_file_path: model_file}
        for kind in ("posterior", "prior"):
            spec = getattr(config, kind)
            if spec is not None and is_file_spec(spec):
                copies[self.path / f"{kind}.py"] = Path(spec)
        for copy, original in copies.items():
            if original.resolve() != copy.resolve():
                tmp = copy.with_suffix(".py.tmp")
                shutil.copyfile(original, tmp)
                tmp.replace(copy)

    def load_config(self) -> RunConfig:
        self.require()
        try:
            return RunConfig.from_saved(json.loads(self.config_path.read_text()))
        except json.JSONDecodeError as error:
            raise CheckpointError(f"{self.config_path} is not valid JSON ({error}); the run directory is damaged") from None

    def load_vocab(self) -> Vocabulary:
        self.require()
        return Vocabulary.load(self.vocab_path)

    def load_model(self, pointer: str = "best", device: str | torch.device = "cpu"):
        """Rebuild the model from the run's own model file and load the ``pointer`` weights.

        The posterior and prior the configuration names are rebuilt too (from the run's copies of
        guide files). Falls back to ``latest`` when the run has no ``best`` checkpoint (no
        validation set).
        """
        from pyrovae.cli.model_file import load_model_file

        config, vocab = self.load_config(), self.load_vocab()
        model_file = load_model_file(self.model_file_path)
        latents = configured_factories(config, model_file.build_options(), self.model_file_path.name, self.path)
        model = model_file.build_model(vocab, {**config.model, **latents})
        manager = self.checkpoints
        if pointer == "best" and not manager.exists("best"):
            pointer = "latest"
        model.load_state_dict(manager.load_model_weights(pointer, device="cpu"))
        return model.to(device).eval(), vocab, config
