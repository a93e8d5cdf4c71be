"""Errors that reach the user as one clear message.

Every exception a user can cause with bad input derives from :class:`PyrovaeError`. The command
line prints ``error: <message>`` and exits with status 2, without a traceback; a message says what
was expected, what arrived, and how to fix it.
"""

from __future__ import annotations


class PyrovaeError(Exception):
    """Base class of every user-facing pyrovae error."""


class DataError(PyrovaeError):
    """A data file or dataset is missing, empty, undecodable or malformed."""


class ConfigError(PyrovaeError):
    """An unknown option, a value of the wrong type, or an inconsistent configuration."""


class ModelFileError(PyrovaeError):
    """A model file cannot be imported or does not define what the contract requires."""


class NonFiniteLossError(PyrovaeError):
    """A training loss (or one of its terms) became NaN or infinite."""


class CheckpointError(PyrovaeError):
    """A checkpoint or run directory is missing, incomplete or incompatible."""


class UnsupportedModelError(PyrovaeError):
    """A metric or objective needs a property (e.g. a factorised posterior) the model lacks."""
