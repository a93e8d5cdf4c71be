"""From a name or a guide file to the factory a model file's ``build()`` takes.

``--set posterior=iaf posterior.steps=4`` and ``--set posterior=guides/iaf.py posterior.steps=4``
both become a :data:`~pyrovae.latent.posterior.PosteriorFactory`, passed to the model file as
``build(vocab, ..., posterior=factory)``; likewise ``--set prior=NAME|FILE.py prior.KEY=VALUE``.

A *guide file* is a Python file defining ``posterior(context_dim, latent_dim, **options)``
returning a :class:`~pyrovae.latent.Posterior` (the files in ``guides/``); a prior file defines
``prior(latent_dim, **options)``. Their keyword options are what ``posterior.KEY=VALUE`` (or
``prior.KEY=VALUE``) sets. Files are imported with :func:`pyrovae.user_file.import_user_file`
and copied into the run directory as ``posterior.py`` /
``prior.py``, so a trained run does not depend on the original.

Options are checked when the factory is made (before any data is read); values the module
rejects raise a :class:`~pyrovae.errors.ConfigError` when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection

from pyrovae.errors import ConfigError
from pyrovae.latent.posterior import POSTERIORS, PosteriorFactory
from pyrovae.latent.prior import PRIORS, PriorFactory
from pyrovae.registry import Registry
from pyrovae.user_file import keyword_options, load_user_function

#: The two kinds of latent module: their registry and the dimensions the model file fixes.
KINDS: dict[str, tuple[Registry, tuple[str, ...]]] = {
    "posterior": (POSTERIORS, ("context_dim", "latent_dim")),
    "prior": (PRIORS, ("latent_dim",)),
}


@dataclass(frozen=True)
class ConfiguredFactory:
    """A constructor with its keyword options bound: call it with the dimensions."""

    label: str
    constructor: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, *dims: int) -> Any:
        try:
            return self.constructor(*dims, **self.options)
        except (TypeError, ValueError) as error:  # e.g. text where a number belongs
            raise ConfigError(f"{self.label} rejected its options {self.options}: {error}") from None

    def __repr__(self) -> str:
        return f"{self.label}({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"


def is_file_spec(spec: str) -> bool:
    """Whether a ``posterior=``/``prior=`` value names a Python file rather than a registered name."""
    return spec.endswith(".py")


def make_factory(kind: str, spec: str, options: dict[str, Any] | None = None) -> ConfiguredFactory:
    """The factory for ``kind`` (``"posterior"`` or ``"prior"``) named by ``spec`` with ``options``.

    Args:
        spec: a registered name (``iaf``) or the path of a ``.py`` file defining ``kind``.
        options: keyword options of the constructor (after the dimensions).

    Raises:
        ConfigError: unknown name, missing file, or options the constructor does not take
            (the message lists the valid ones).
        ModelFileError: the file does not import or defines no ``kind`` function.
    """
    registry, dims = KINDS[kind]
    options = dict(options or {})
    if is_file_spec(spec):
        contract = f"a {kind} file defines {kind}({', '.join(dims)}, **options) returning a {kind.capitalize()} (see docs/latents.md)"
        constructor = load_user_function(Path(spec), kind, contract)
        valid, accepts_any = keyword_options(constructor, len(dims))
        label = f"{kind}() of {Path(spec).name}"
    else:
        constructor, valid, accepts_any = registry.get(spec), registry.options(spec), False
        label = f"{kind} {spec!r}"
    unknown = sorted(set(options) - set(valid))
    if unknown and not accepts_any:
        listed = ", ".join(f"{kind}.{k}={p.default!r}" for k, p in valid.items()) or "none"
        raise ConfigError(f"{label} has no option(s) {', '.join(unknown)}; its options are {listed}")
    return ConfiguredFactory(label, constructor, options)


def posterior_factory(spec: str, **options: Any) -> PosteriorFactory:
    """``(context_dim, latent_dim) -> Posterior`` for a registered name or a guide file.

    Example, in a model file::

        def build(vocab, latent_dim=32, posterior=posterior_factory("iaf", steps=4)): ...
    """
    return make_factory("posterior", spec, options)


def prior_factory(spec: str, **options: Any) -> PriorFactory:
    """``(latent_dim) -> Prior`` for a registered name or a prior file."""
    return make_factory("prior", spec, options)


def configured_factories(
    config: Any, accepted: Collection[str], source: str, directory: Path | None = None
) -> dict[str, ConfiguredFactory]:
    """``build()`` keyword arguments for the posterior and prior a run configuration names.

    Args:
        config: a :class:`~pyrovae.train.config.RunConfig` (``posterior``, ``posterior_options``,
            ``prior``, ``prior_options``, ``model``).
        accepted: the keyword options of the model file's ``build``.
        source: the model file's name, for messages.
        directory: a run directory whose copies (``posterior.py``, ``prior.py``) replace the
            files the configuration names.

    Returns:
        ``{"posterior": factory, "prior": factory}`` for those the configuration sets (an empty
        dict when it sets neither: the model file's defaults apply).

    Raises:
        ConfigError: options without a name, a ``build`` without the parameter, a name passed
            as a model option, or see :func:`make_factory`.
    """
    factories = {}
    for kind in KINDS:
        spec, options = getattr(config, kind), getattr(config, f"{kind}_options")
        if kind in config.model:
            raise ConfigError(f"set the {kind} with --set {kind}=NAME [{kind}.KEY=VALUE], not model.{kind}")
        if spec is None:
            if options:
                raise ConfigError(f"{kind}.* options need --set {kind}=NAME: they configure a named {kind} or a {kind} file")
            continue
        if kind not in accepted:
            raise ConfigError(
                f"build() in {source} has no `{kind}` parameter, so --set {kind}={spec} cannot reach the model; "
                f"give build() a `{kind}` factory parameter (see docs/latents.md) or drop the option"
            )
        copy = directory / f"{kind}.py" if directory is not None else None
        if is_file_spec(spec) and copy is not None and copy.is_file():
            spec = str(copy)
        factories[kind] = make_factory(kind, spec, options)
    return factories
