"""A run directory: everything needed to reload, evaluate or continue a trained model.

Layout (written by ``pyrovae fit``)::

    RUN_DIR/
        run.json             which pyrovae wrote the run, and the run format version
        config.json          the RunConfig (JSON)
        codec/               the text codec (codec.json naming its class, and its own files:
                             vocab.json for words, the tokenizer files of a HuggingFace codec)
        model.py             a copy of the model file (the run does not depend on the original)
        posterior.py         a copy of the guide file, when --set posterior=FILE.py named one
        prior.py             a copy of the prior file, when --set prior=FILE.py named one
        objective.py         a copy of the objective file, when --set objective=FILE.py named one
        checkpoints/         see pyrovae.train.checkpoint
        metrics.jsonl/.csv   the training log
        train_summary.json   how training ended
        final_metrics.json   evaluation of the best checkpoint at the end of training

Runs written before run format 2 (pyrovae 0.1: ``vocab.json`` beside ``config.json``, model files
with ``build(vocab)``) are refused with one message naming the version that wrote them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from pyrovae.atomic import atomic_write_json, atomic_write_text
from pyrovae.errors import CheckpointError
from pyrovae.latent.factory import configured_factories, is_file_spec
from pyrovae.model_file import ModelFile, load_model_file
from pyrovae.text.codec import TextCodec
from pyrovae.text.storage import load_codec, save_codec
from pyrovae.train.checkpoint import CheckpointManager
from pyrovae.train.config import RunConfig
from pyrovae.version import __version__

RUN_FORMAT = "pyrovae.run"
RUN_VERSION = 2


class RunDirectory:
    """Read and write the files of one run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def manifest_path(self) -> Path:
        return self.path / "run.json"

    @property
    def codec_path(self) -> Path:
        return self.path / "codec"

    @property
    def model_file_path(self) -> Path:
        return self.path / "model.py"

    @property
    def checkpoints(self) -> CheckpointManager:
        return CheckpointManager(self.path)

    def exists(self) -> bool:
        return self.config_path.is_file()

    def require(self) -> None:
        """Raise a CheckpointError unless this is a run directory of the current run format."""
        if not self.path.is_dir():
            raise CheckpointError(f"run directory {self.path} does not exist: pass the --out folder of a `pyrovae fit` run")
        if not self.exists():
            raise CheckpointError(f"{self.path} is not a pyrovae run (no config.json): pass the --out folder of a `pyrovae fit` run")
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            manifest = None
        except (OSError, ValueError) as error:
            raise CheckpointError(f"{self.manifest_path} is damaged ({error}): restore the run directory") from None
        if manifest is None or not isinstance(manifest, dict) or manifest.get("format") != RUN_FORMAT:
            raise CheckpointError(
                f"{self.path} was written by pyrovae 0.1 (run format 1: vocab.json beside config.json, model files "
                f"with build(vocab)); this pyrovae {__version__} reads run format {RUN_VERSION}: train it "
                "again with `pyrovae fit`, or evaluate it with pyrovae 0.1"
            )
        if manifest.get("version") != RUN_VERSION:
            raise CheckpointError(
                f"{self.path} has run format {manifest.get('version')!r} (written by pyrovae "
                f"{manifest.get('pyrovae', '?')}); this pyrovae {__version__} reads run format {RUN_VERSION}"
            )

    def save_setup(self, config: RunConfig, codec: TextCodec, model_file: Path) -> None:
        """Write the run's manifest, configuration, codec and copies of its model, guide and prior files."""
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.manifest_path, {"format": RUN_FORMAT, "version": RUN_VERSION, "pyrovae": __version__})
        atomic_write_text(self.config_path, config.to_json())
        save_codec(codec, self.codec_path)
        copies = {self.model_file_path: model_file}
        for kind in ("posterior", "prior", "objective"):
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

    def load_model_file(self) -> ModelFile:
        """The run's own copy of its model file (``RUN_DIR/model.py``), imported."""
        self.require()
        return load_model_file(self.model_file_path)

    def load_codec(self, model_file: ModelFile | None = None) -> TextCodec:
        """The codec the run was trained with; a codec class of the model file is looked up in it."""
        self.require()
        model_file = model_file if model_file is not None else self.load_model_file()
        return load_codec(self.codec_path, namespace=model_file.classes())

    def load_model(self, pointer: str = "best", device: str | torch.device = "cpu"):
        """Rebuild the model from the run's own model file and load the ``pointer`` weights.

        The posterior and prior the configuration names are rebuilt too (from the run's copies of
        guide files). Falls back to ``latest`` when the run has no ``best`` checkpoint (no
        validation set).

        Returns:
            ``(model, codec, config)``, the model in evaluation mode on ``device``.
        """
        config = self.load_config()
        model_file = self.load_model_file()
        codec = self.load_codec(model_file)
        latents = configured_factories(config, model_file.build_options(), self.model_file_path.name, self.path)
        model = model_file.build_model(codec, {**config.model, **latents})
        manager = self.checkpoints
        if pointer == "best" and not manager.exists("best"):
            pointer = "latest"
        model.load_state_dict(manager.load_model_weights(pointer, device="cpu"))
        return model.to(device).eval(), codec, config
