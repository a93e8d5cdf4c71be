"""The typed configuration of a training run, validated on construction and saved as JSON."""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pyrovae.errors import ConfigError
from pyrovae.train.checks import Check, DeviceName, at_least, non_negative, positive

AmpMode = Literal["off", "bf16", "fp16"]
Schedule = Literal["constant", "linear", "cosine"]
Selection = Literal["elbo", "loss", "last"]
OptimizerName = Literal["adam", "adamw", "sgd"]


def option(default: Any, help: str, check: Check | None = None) -> Any:
    """A :class:`RunConfig` field: its default, the help ``pyrovae fit --help`` prints, its range check."""
    metadata = {"help": help, "check": check}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class RunConfig:
    """Everything that defines a training run besides the model file.

    Model hyperparameters are the keyword arguments of the model file's ``build`` function
    (``model``); the objective is a registered name plus its options (``objective``,
    ``objective_options``); the posterior and prior likewise (``posterior``, ``posterior_options``,
    ``prior``, ``prior_options``; see docs/latents.md). On the command line every field is set
    with ``--set key=value``, model options with ``--set model.KEY=VALUE``, objective options with
    ``--set objective.KEY=VALUE`` and posterior/prior options with ``--set posterior.KEY=VALUE``.
    """

    # data
    train: str | None = option(None, "training text file (one sentence a line) or hf:NAME[:CONFIG][#COLUMN]; none: the bundled Austen corpus")
    valid: str | None = option(None, "validation text file; none: the bundled one, or the last 5% of train")
    test: str | None = option(None, "test text file, evaluated at the end of training when given")
    max_vocab: int | None = option(20000, "vocabulary size cap of the default word-level codec, 4 special tokens included", at_least(5))
    min_count: int = option(1, "words seen fewer times in training become <unk> (default word-level codec)", at_least(1))
    max_length: int | None = option(None, "drop training sentences longer than this many tokens", at_least(1))
    # optimisation
    seed: int = option(0, "seeds weights, batches and sampling; a resumed run continues its streams", at_least(0, 2**32 - 1))
    batch_size: int = option(32, "sentences per batch (per process under DDP)", at_least(1, 1_000_000))
    eval_batch_size: int = option(64, "sentences per evaluation batch", at_least(1, 1_000_000))
    epochs: int = option(10, "passes over the training sentences", at_least(1, 1_000_000))
    max_steps: int | None = option(None, "stop after this many optimizer steps (none: epochs decide)", at_least(1))
    optimizer: OptimizerName = option("adam", "optimizer of the model and guide parameters")
    lr: float = option(1e-3, "learning rate", positive())
    objective_optimizer: OptimizerName = option(
        "adam", "optimizer of the gradient ascent of objective parameters (MDR's Lagrange multipliers)"
    )
    objective_lr: float = option(1e-3, "step size of the objective parameters' optimizer", positive())
    weight_decay: float = option(0.0, "weight decay of the model and guide optimizer", non_negative())
    lr_schedule: Schedule = option("constant", "learning rate after warm-up: constant, linear or cosine decay to 0")
    warmup_steps: int = option(0, "optimizer steps of linear learning-rate warm-up", at_least(0))
    grad_clip: float | None = option(5.0, "max global gradient norm of the model and guide (none: no clipping)", positive())
    accumulate: int = option(1, "batches whose gradients are summed per optimizer step", at_least(1))
    patience: int | None = option(5, "epochs without validation improvement before stopping (none: never stop early)", at_least(1))
    select: Selection = option(
        "elbo",
        "the 'best' checkpoint (evaluated at the end, used by evaluate/sample): highest validation ELBO, lowest "
        "validation loss, or the last one (suits MDR, beta_C and free bits, judged where training ends)",
    )
    amp: AmpMode = option("off", "autocast: bf16 (CPU or GPU) or fp16 with a gradient scaler (GPU only)")
    device: str = option("auto", "where to train: auto (a GPU when there is one), cpu, cuda, cuda:N", DeviceName())
    aggressive: bool = option(False, "He et al. 2019 aggressive encoder training until I(x;z) stops rising")
    # bookkeeping
    log_every: int = option(50, "optimizer steps between training log records", at_least(1))
    checkpoint_every: int = option(200, "optimizer steps between checkpoints (and one at every epoch end)", at_least(1))
    eval_iw_samples: int = option(0, "importance samples per sentence for the final evaluation (0: the -ELBO bound only)", at_least(0, 100_000))
    eval_mi_points: int | None = option(
        None, "sentences of a random subset for the final evaluation's mutual information (none: all)", at_least(2)
    )
    monitor_every: int | None = option(
        None, "optimizer steps between latent-space checks on held-out sentences, logged as split 'monitor' (none: off)", at_least(1)
    )
    progress: bool = option(True, "show a progress bar")
    # model and objective
    model: dict[str, Any] = option({}, "model options (model.KEY=VALUE): the keyword arguments of the model file's build() and codec()")
    objective: str | None = option(None, "a registered objective or an objective file (.py); none: the model file's, else elbo")
    objective_options: dict[str, Any] = option({}, "objective options (objective.KEY=VALUE)")
    posterior: str | None = option(None, "a registered posterior (normal, planar, iaf) or a guide file (.py); none: the model file's")
    posterior_options: dict[str, Any] = option({}, "posterior options (posterior.KEY=VALUE)")
    prior: str | None = option(None, "a registered prior (standard_normal, normal, mog, vamp) or a prior file (.py); none: the model file's")
    prior_options: dict[str, Any] = option({}, "prior options (prior.KEY=VALUE)")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = _coerce(f.name, getattr(self, f.name), _hints()[f.name])
            setattr(self, f.name, value)
            check = f.metadata.get("check")
            if check is not None:
                check(f.name, value)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def describe(cls, name: str) -> str:
        """The help of field ``name`` with its valid range, for ``--help`` and error messages."""
        f = next(f for f in dataclasses.fields(cls) if f.name == name)
        check = f.metadata.get("check")
        return f.metadata["help"] + (f" ({check.describe()})" if check is not None else "")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        unknown = sorted(set(values) - set(cls.field_names()))
        if unknown:
            raise ConfigError(
                f"unknown option(s) {', '.join(unknown)}: valid options are "
                f"{', '.join(cls.field_names())} (model options go under model.*, objective options "
                "under objective.*, posterior and prior options under posterior.* and prior.*)"
            )
        return cls(**values)

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> "RunConfig":
        """A configuration as a run directory saved it, possibly by an earlier pyrovae: fields it
        lacks take their defaults, and ``objective_lr: null`` (which meant "the same as ``lr``")
        becomes ``lr``."""
        values = dict(values)
        if "objective_lr" in values and values["objective_lr"] is None:
            values["objective_lr"] = values.get("lr", cls.lr)
        return cls.from_dict(values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def replace(self, **changes: Any) -> "RunConfig":
        return self.from_dict({**self.to_dict(), **changes})


def _hints() -> dict[str, Any]:
    return typing.get_type_hints(RunConfig)


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value: JSON where it parses (numbers, true/false, null, lists), else text."""
    lowered = text.strip()
    if lowered in ("none", "None"):
        return None
    if lowered in ("True", "False"):
        return lowered == "True"
    try:
        return json.loads(lowered)
    except json.JSONDecodeError:
        return text


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Check ``value`` against the field's type, converting text and ints where unambiguous."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(name, value, option)
            except ConfigError as error:
                errors.append(error)
        raise errors[0]
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{name} must be one of {list(args)}, got {value!r}")
        return value
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{name} must be a mapping, got {value!r}")
        return dict(value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {value!r}") from None
    if hint is float:
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be text, got {value!r}")
        return value
    return value
