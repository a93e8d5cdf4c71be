"""The model-file contract and its loader.

A model file is a Python file that ``pyrovae fit MODEL_FILE`` imports. It must define

``build(vocab, **options) -> module``
    returning an ``nn.Module`` (e.g. :class:`~pyrovae.vae.TextVAE`) with Pyro programs
    ``model(batch)`` and ``guide(batch)``. Keyword options of ``build`` become ``--set model.KEY=...``.

and may define

``objective``
    an :class:`~pyrovae.infer.Objective` instance, or a function of no arguments returning one
    (used unless ``--set objective=NAME`` is given);
``config``
    a dict of run-configuration defaults (``batch_size``, ``lr``, ...), overridden by
    ``--config`` and ``--set``.

Anything else in the file is the author's business.
"""

from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pyrovae.errors import ConfigError, ModelFileError
from pyrovae.user_file import import_user_file

CONTRACT = (
    "a model file must define build(vocab, **options) returning a module with model(batch) and "
    "guide(batch) methods (and may define `objective` and a `config` dict); see docs/model-files.md"
)


@dataclass
class ModelFile:
    """What a model file provides."""

    path: Path
    build: Callable[..., Any]
    objective: Any = None
    defaults: dict[str, Any] = field(default_factory=dict)

    def build_options(self) -> dict[str, inspect.Parameter]:
        """The keyword options of ``build`` (after ``vocab``), with their defaults."""
        parameters = list(inspect.signature(self.build).parameters.values())[1:]
        return {p.name: p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}

    def check_options(self, options: dict[str, Any]) -> None:
        """Raise a ConfigError naming the valid options if ``build`` does not accept ``options``."""
        valid = self.build_options()
        accepts_any = any(
            p.kind is p.VAR_KEYWORD for p in inspect.signature(self.build).parameters.values()
        )
        unknown = sorted(set(options) - set(valid))
        if unknown and not accepts_any:
            raise ConfigError(
                f"unknown model option(s) {', '.join('model.' + k for k in unknown)} for {self.path.name}: "
                f"build() accepts {', '.join(f'model.{k}={p.default!r}' for k, p in valid.items()) or 'no options'}"
            )

    def build_model(self, vocab, options: dict[str, Any]):
        """Call ``build(vocab, **options)``, checking the options and what it returns."""
        self.check_options(options)
        try:
            module = self.build(vocab, **options)
        except (ConfigError, ModelFileError):
            raise
        except Exception as error:
            raise ModelFileError(
                f"build() in {self.path} raised {type(error).__name__}: {error}\n"
                + "".join(traceback.format_exception(error)[-3:])
            ) from error
        for method in ("model", "guide"):
            if not callable(getattr(module, method, None)):
                raise ModelFileError(
                    f"build() in {self.path} returned a {type(module).__name__} without a "
                    f"{method}() method: {CONTRACT}"
                )
        return module

    def make_objective(self):
        """The file's objective (an instance, or the result of calling the factory), or None."""
        objective = self.objective
        if objective is None or not callable(objective) or hasattr(objective, "differentiable_loss"):
            return objective
        return objective()


def load_model_file(path: str | Path) -> ModelFile:
    """Import a model file and check it against the contract, with one clear error if not."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {path} does not exist: pass the path of a .py file ({CONTRACT})")
    if path.suffix != ".py":
        raise ModelFileError(f"model file {path} is not a .py file: {CONTRACT}")
    module = import_user_file(path)
    build = getattr(module, "build", None)
    if not callable(build):
        found = sorted(n for n in vars(module) if not n.startswith("_"))
        raise ModelFileError(
            f"{path} defines no build() function: {CONTRACT}. Found: {', '.join(found) or 'nothing'}"
        )
    defaults = getattr(module, "config", {}) or {}
    if not isinstance(defaults, dict):
        raise ModelFileError(f"`config` in {path} must be a dict of run options, got {type(defaults).__name__}")
    return ModelFile(path.resolve(), build, getattr(module, "objective", None), dict(defaults))
