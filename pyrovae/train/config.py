"""The typed configuration of a training run, validated on construction and saved as JSON."""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pyrovae.errors import ConfigError

AmpMode = Literal["off", "bf16", "fp16"]
Schedule = Literal["constant", "linear", "cosine"]
Selection = Literal["elbo", "loss", "last"]
OptimizerName = Literal["adam", "adamw", "sgd"]


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
    train: str | None = None  #: training text file (or hf:NAME); None: the bundled Austen corpus
    valid: str | None = None  #: validation text file; None: the bundled one, or 5% of train
    test: str | None = None  #: test text file, evaluated at the end of training when given
    max_vocab: int | None = 20000  #: vocabulary size cap, specials included
    min_count: int = 1  #: words seen fewer times become <unk>
    max_length: int | None = None  #: drop training sentences longer than this many words
    # optimisation
    seed: int = 0
    batch_size: int = 32  #: sentences per optimizer step (per process under DDP)
    eval_batch_size: int = 64
    epochs: int = 10
    max_steps: int | None = None  #: stop after this many optimizer steps
    optimizer: OptimizerName = "adam"
    lr: float = 1e-3
    #: optimizer and step size of the gradient ascent of objective parameters (MDR's Lagrange
    #: multipliers); see pyrovae.train.optim.build_dual_optimizer
    objective_optimizer: OptimizerName = "adam"
    objective_lr: float = 1e-3
    weight_decay: float = 0.0
    lr_schedule: Schedule = "constant"
    warmup_steps: int = 0
    grad_clip: float | None = 5.0  #: max global gradient norm; None disables clipping
    accumulate: int = 1  #: batches whose gradients are summed per optimizer step
    patience: int | None = 5  #: epochs without validation improvement before stopping
    #: which checkpoint is "best" (evaluated at the end, used by evaluate/sample): highest validation
    #: ELBO, lowest validation objective loss, or simply the last one (no early stopping); "last"
    #: suits constrained objectives (MDR, beta_C, free bits) judged by where training ends.
    select: Selection = "elbo"
    amp: AmpMode = "off"  #: autocast: bf16 (CPU or GPU) or fp16 with a GradScaler (GPU only)
    device: str = "auto"  #: "auto", "cpu", "cuda", "cuda:1", ...
    aggressive: bool = False  #: He et al. 2019 aggressive encoder training until I(x;z) stops rising
    # bookkeeping
    log_every: int = 50  #: optimizer steps between training log records
    checkpoint_every: int = 200  #: optimizer steps between checkpoints (and at every epoch end)
    eval_iw_samples: int = 0  #: importance samples for the final evaluation (0: skip IW)
    #: sentences of a random subset for the final evaluation's mutual information (None: all);
    #: its cost is quadratic, and with IAF posteriors each pair needs a sequential inverse
    eval_mi_points: int | None = None
    #: optimizer steps between latent-space checks on held-out sentences (marginal KL, MMD, active
    #: units; pyrovae.diagnostics.TrainingMonitor), logged as split "monitor"; None: off
    monitor_every: int | None = None
    progress: bool = True  #: show a progress bar
    # model and objective
    model: dict[str, Any] = field(default_factory=dict)
    objective: str | None = None  #: a registered objective; None: the model file's, else "elbo"
    objective_options: dict[str, Any] = field(default_factory=dict)
    #: a registered posterior (normal, planar, iaf) or a guide file (.py); None: the model file's
    posterior: str | None = None
    posterior_options: dict[str, Any] = field(default_factory=dict)
    #: a registered prior (standard_normal, normal, mog, vamp) or a prior file (.py); None: the model file's
    prior: str | None = None
    prior_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, _coerce(f.name, getattr(self, f.name), _hints()[f.name]))
        for name in ("batch_size", "eval_batch_size", "accumulate", "log_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.monitor_every is not None and self.monitor_every < 1:
            raise ConfigError(f"monitor_every must be at least 1 (or None for no monitor), got {self.monitor_every}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.objective_lr <= 0:
            raise ConfigError(f"objective_lr must be positive, got {self.objective_lr}")
        if self.epochs < 0:
            raise ConfigError(f"epochs must be non-negative, got {self.epochs}")

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

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
