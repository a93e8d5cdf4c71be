"""Importing the Python files users write (model, guide, prior and objective files), with one clear error."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from pyrovae.errors import ConfigError, ModelFileError

#: Module names of imported user files start with this (``pyrovae_model_file_<hash of the path>``).
USER_MODULE_PREFIX = "pyrovae_model_file_"


def import_user_file(path: Path) -> ModuleType:
    """Import the Python file at ``path`` (a model, guide or prior file) under a name of its own.

    Raises:
        ModelFileError: with the line of a syntax error, or the exception the file raised.
    """
    name = f"{USER_MODULE_PREFIX}{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise ModelFileError(
            f"{path} has a syntax error at line {error.lineno}: {error.msg}\n    {(error.text or '').rstrip()}"
        ) from None
    except Exception as error:
        del sys.modules[name]
        raise ModelFileError(
            f"importing {path} raised {type(error).__name__}: {error}; fix the file and try again"
        ) from error
    return module


def keyword_options(function: Callable[..., Any], skip: int) -> tuple[dict[str, inspect.Parameter], bool]:
    """The keyword options of ``function`` after its first ``skip`` parameters, and whether it
    also takes ``**options``."""
    parameters = list(inspect.signature(function).parameters.values())
    named = {p.name: p for p in parameters[skip:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return named, any(p.kind is p.VAR_KEYWORD for p in parameters)


def load_user_function(path: Path, name: str, contract: str) -> Callable[..., Any]:
    """The function ``name`` of the user file at ``path`` (e.g. ``posterior`` of a guide file).

    Raises:
        ConfigError: the file does not exist.
        ModelFileError: it does not import, or defines no such function (``contract`` says what
            the file should define).
    """
    if not path.is_file():
        raise ConfigError(f"{name} file {path} does not exist: pass a registered {name} name or the path of a .py file")
    function = getattr(import_user_file(path), name, None)
    if not callable(function):
        raise ModelFileError(f"{path} defines no {name}() function: {contract}")
    return function
