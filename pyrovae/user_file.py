"""Importing the Python files users write (model, guide and prior files), with one clear error."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from pyrovae.errors import ModelFileError

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
