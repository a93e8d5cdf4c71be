"""Parsing of the options shared by commands: ``--set key=value``, ``--data``, ``--config``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tomllib

from pyrovae.errors import ConfigError
from pyrovae.train.config import RunConfig, parse_value

DATA_SPLITS = ("train", "valid", "test")

#: ``--set GROUP.KEY=VALUE`` prefixes other than ``model`` -> the RunConfig field holding the options.
OPTION_GROUPS = {"objective": "objective_options", "posterior": "posterior_options", "prior": "prior_options"}

#: RunConfig fields that hold a mapping of options, merged key by key across layers.
OPTION_MAPS = ("model", *OPTION_GROUPS.values())


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """``["lr=0.01", "model.latent_dim=16", "objective=elbo"]`` -> config values.

    ``model.KEY`` goes to ``model``, ``objective.KEY`` to ``objective_options``, ``posterior.KEY``
    and ``prior.KEY`` to ``posterior_options`` and ``prior_options``; other keys must be
    :class:`RunConfig` fields (checked later, with the list of valid names). A ``posterior`` or
    ``prior`` that names a ``.py`` file is made absolute, like data paths.
    """
    values: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r} (e.g. --set lr=0.001)")
        value = parse_value(text)
        prefix, _, sub = key.partition(".")
        if sub and prefix == "model":
            values.setdefault("model", {})[sub] = value
        elif sub and prefix in OPTION_GROUPS:
            values.setdefault(OPTION_GROUPS[prefix], {})[sub] = value
        elif sub:
            raise ConfigError(
                f"unknown option group {prefix!r} in {key!r}: use model.KEY, objective.KEY, posterior.KEY or prior.KEY"
            )
        elif key in ("posterior", "prior", "objective") and isinstance(value, str) and value.endswith(".py"):
            values[key] = str(Path(value).expanduser().resolve())
        else:
            values[key] = value
    return values


def parse_data(items: list[str] | None) -> dict[str, str]:
    """``--data train=a.txt valid=b.txt`` (or a single ``--data a.txt`` for train) -> config values."""
    values: dict[str, str] = {}
    for item in items or []:
        split, sep, path = item.partition("=")
        if not sep:
            split, path = "train", item
        if split not in DATA_SPLITS:
            raise ConfigError(f"--data expects SPLIT=PATH with SPLIT in {DATA_SPLITS}, got {item!r}")
        values[split] = path if path.startswith("hf:") else str(Path(path).expanduser().resolve())
    return values


def read_config_file(path: str) -> dict[str, Any]:
    """A JSON or TOML file of run options (same keys as ``--set``; nested ``model``/``objective_options``)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = file.read_text(encoding="utf-8")
    try:
        values = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config file {path} does not parse ({error}); use JSON or TOML (.toml)") from None
    if not isinstance(values, dict):
        raise ConfigError(f"config file {path} must hold a mapping of options")
    return values


def merge(*layers: dict[str, Any]) -> dict[str, Any]:
    """Later layers win; ``model`` and the ``*_options`` mappings merge key by key."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key in OPTION_MAPS and isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    return merged


def describe_config_options() -> str:
    """Lines for ``--help``: every run option with its default, what it does and its valid range."""
    import textwrap

    defaults = RunConfig()
    lines = []
    for name in RunConfig.field_names():
        if name in OPTION_MAPS:
            continue
        head = f"  {name}={getattr(defaults, name)!r}"
        text = RunConfig.describe(name)
        wrapped = textwrap.wrap(text, 96 - 30)
        lines.append(f"{head:<30}{wrapped[0]}" if len(head) < 30 else f"{head}\n{' ' * 30}{wrapped[0]}")
        lines.extend(" " * 30 + more for more in wrapped[1:])
    return "\n".join(lines)
