"""The model-file contract and its loader.

A model file is a Python file that ``pyrovae fit MODEL_FILE`` imports. It must define

``build(codec, **options) -> module``
    returning an ``nn.Module`` (e.g. :class:`~pyrovae.vae.TextVAE`) with Pyro programs
    ``model(batch)`` and ``guide(batch)``; ``codec`` is the run's
    :class:`~pyrovae.text.TextCodec` (a word-level :class:`~pyrovae.text.Vocabulary` unless the
    file defines its own).

and may define

``codec(sentences, **options) -> TextCodec``
    how the text becomes token ids, made from the training sentences (a pretrained tokenizer, a
    character vocabulary, a pair for encoder and decoder); saved into the run directory and
    reloaded by every command;
``objective``
    an :class:`~pyrovae.infer.Objective` instance, or a function of no arguments returning one (a
    class is one), used unless ``--set objective=NAME`` is given;
``config``
    a dict of run-configuration defaults (``batch_size``, ``lr``, ...), overridden by
    ``--config`` and ``--set``.

The keyword options of ``build`` and ``codec`` are the model options ``--set model.KEY=VALUE``;
each function receives those its signature names (an option both name, such as a checkpoint
folder, reaches both). Anything else in the file is the author's business.
"""

from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

from pyrovae.errors import ConfigError, ModelFileError
from pyrovae.user_file import import_user_file, keyword_options

CONTRACT = (
    "a model file must define build(codec, **options) returning a module with model(batch) and "
    "guide(batch) methods (and may define codec(sentences, **options), `objective` and a `config` "
    "dict); see docs/model-files.md"
)


@dataclass
class ModelFile:
    """What a model file provides.

    Attributes:
        path: the file.
        build: its ``build(codec, **options)``.
        codec: its ``codec(sentences, **options)``, or None (the default word-level vocabulary).
        objective: its ``objective`` (an instance or a factory), or None.
        defaults: its ``config`` dict of run-option defaults.
        module: the imported module (the namespace of classes a run's codec may come from).
    """

    path: Path
    build: Callable[..., Any]
    codec: Callable[..., Any] | None = None
    objective: Any = None
    defaults: dict[str, Any] = field(default_factory=dict)
    module: ModuleType | None = None

    def _functions(self) -> list[tuple[str, Callable[..., Any]]]:
        return [("build", self.build)] + ([("codec", self.codec)] if self.codec is not None else [])

    def build_options(self) -> dict[str, inspect.Parameter]:
        """The model options (keyword options of ``build`` and ``codec``), with their defaults."""
        options: dict[str, inspect.Parameter] = {}
        for _, function in self._functions():
            options |= keyword_options(function, 1)[0]
        return options

    def check_options(self, options: dict[str, Any]) -> None:
        """Raise a ConfigError naming the valid options if neither ``build`` nor ``codec`` accepts one."""
        if any(keyword_options(function, 1)[1] for _, function in self._functions()):
            return
        valid = self.build_options()
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise ConfigError(
                f"unknown model option(s) {', '.join('model.' + k for k in unknown)} for {self.path.name}: "
                f"build() accepts {', '.join(f'model.{k}={p.default!r}' for k, p in valid.items()) or 'no options'}"
            )

    @staticmethod
    def _options_for(function: Callable[..., Any], options: dict[str, Any]) -> dict[str, Any]:
        named, accepts_any = keyword_options(function, 1)
        return dict(options) if accepts_any else {k: v for k, v in options.items() if k in named}

    def _call(self, what: str, function: Callable[..., Any], first: Any, options: dict[str, Any]) -> Any:
        try:
            return function(first, **self._options_for(function, options))
        except (ConfigError, ModelFileError):
            raise
        except Exception as error:
            raise ModelFileError(
                f"{what}() in {self.path} raised {type(error).__name__}: {error}\n"
                + "".join(traceback.format_exception(error)[-3:])
            ) from error

    def make_codec(self, sentences: Sequence[str], options: dict[str, Any]) -> Any:
        """Call ``codec(sentences, **options)`` (the options it names), checking what it returns.

        Raises:
            ModelFileError: the file defines no ``codec``, it raises, or it returns no TextCodec.
        """
        from pyrovae.text.codec import TextCodec

        if self.codec is None:
            raise ModelFileError(f"{self.path} defines no codec() function")
        codec = self._call("codec", self.codec, list(sentences), options)
        if not isinstance(codec, TextCodec):
            raise ModelFileError(
                f"codec() in {self.path} returned a {type(codec).__name__}, not a pyrovae.text.TextCodec: {CONTRACT}"
            )
        return codec

    def build_model(self, codec: Any, options: dict[str, Any]) -> Any:
        """Call ``build(codec, **options)`` (the options it names), checking the options and what it returns."""
        self.check_options(options)
        module = self._call("build", self.build, codec, options)
        for method in ("model", "guide"):
            if not callable(getattr(module, method, None)):
                raise ModelFileError(
                    f"build() in {self.path} returned a {type(module).__name__} without a "
                    f"{method}() method: {CONTRACT}"
                )
        return module

    def make_objective(self) -> Any:
        """The file's objective (an instance, or what calling its factory or class returns), or None.

        Raises:
            ModelFileError: the factory raises or returns something that is not an objective.
        """
        objective = self.objective
        if objective is None:
            return None
        if isinstance(objective, type) or not hasattr(objective, "differentiable_loss"):
            if not callable(objective):
                raise ModelFileError(
                    f"`objective` in {self.path} is a {type(objective).__name__}: define an Objective instance, "
                    "or a function (or class) of no arguments returning one"
                )
            objective = self._call("objective", lambda _: objective(), None, {})
        if not hasattr(objective, "differentiable_loss"):
            raise ModelFileError(
                f"`objective` in {self.path} made a {type(objective).__name__}, not a pyrovae.infer.Objective"
            )
        return objective

    def classes(self) -> dict[str, type]:
        """The classes the file defines, by name (where a run finds a codec class of the file)."""
        if self.module is None:
            return {}
        return {name: value for name, value in vars(self.module).items() if isinstance(value, type)}


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
    codec = getattr(module, "codec", None)
    if codec is not None and not callable(codec):
        raise ModelFileError(f"`codec` in {path} must be a function codec(sentences, **options), got {type(codec).__name__}")
    defaults = getattr(module, "config", {}) or {}
    if not isinstance(defaults, dict):
        raise ModelFileError(f"`config` in {path} must be a dict of run options, got {type(defaults).__name__}")
    return ModelFile(path.resolve(), build, codec, getattr(module, "objective", None), dict(defaults), module)
