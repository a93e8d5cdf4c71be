"""Name registries for the command line: ``--set objective=NAME objective.KEY=VALUE``.

A registry maps a name to a class or factory; the class registers itself where it is defined
(``@OBJECTIVES.register("elbo")``). Python users never need a registry: they construct objects.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Collection, Generic, TypeVar

from pyrovae.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names -> factories of one kind of component (objectives, posteriors, priors...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering a factory under ``name``.

        A user file (model, guide or prior file) may be imported several times in one process (the
        original, then the run directory's copy): the same definition registered again replaces the
        earlier one. Any other second registration of a name is an error.
        """

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            existing = self._factories.get(name)
            if existing is not None and not _redefinition(existing, factory):
                raise ConfigError(
                    f"{self.kind} {name!r} is already registered (by {_origin(existing)}); choose another name"
                )
            self._factories[name] = factory
            return factory

        return decorator

    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> Callable[..., T]:
        try:
            return self._factories[name]
        except KeyError:
            raise ConfigError(
                f"unknown {self.kind} {name!r}: expected one of {', '.join(self.names())}"
            ) from None

    def options(self, name: str) -> dict[str, inspect.Parameter]:
        """The keyword options ``name`` accepts, with their defaults.

        A factory taking ``**options`` also accepts those of the class it passes them to: the
        base classes of a class, or the class a function returns (its return annotation).
        """
        factory = self.get(name)
        found: dict[str, inspect.Parameter] = {}
        chain = list(factory.__mro__) if inspect.isclass(factory) else [factory]
        if not inspect.isclass(factory):
            returned = inspect.signature(factory, eval_str=True).return_annotation
            chain += list(returned.__mro__) if inspect.isclass(returned) else []
        for owner in chain:
            function = owner.__init__ if inspect.isclass(owner) else owner
            if function is object.__init__:
                break
            parameters = inspect.signature(function).parameters.values()
            for p in parameters:
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self":
                    found.setdefault(p.name, p)
            if not any(p.kind is p.VAR_KEYWORD for p in parameters):
                break
        for name in getattr(factory, "fixed_options", ()):
            found.pop(name, None)
        return found

    def build(self, name: str, **options: Any) -> T:
        """Construct ``name`` with ``options``; unknown options list the valid ones."""
        valid = self.options(name)
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise ConfigError(
                f"{self.kind} {name!r} has no option(s) {', '.join(unknown)}; its options are "
                + (", ".join(f"{k}={p.default!r}" for k, p in valid.items()) or "none")
            )
        try:
            return self.get(name)(**options)
        except (TypeError, ValueError) as error:  # e.g. text where a number belongs
            raise ConfigError(f"{self.kind} {name!r} rejected its options {options}: {error}") from None

    def describe(self, common: Collection[str] = ()) -> str:
        """One line per registered name with its options, for ``--help``; options in ``common``
        (accepted by every entry, said once by the caller) are left out of the lines."""
        lines = []
        for name in self.names():
            opts = ", ".join(f"{k}={p.default!r}" for k, p in self.options(name).items() if k not in common)
            lines.append(f"  {name}: {opts}" if opts else f"  {name}")
        return "\n".join(lines)


def _origin(factory: Callable[..., Any]) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', repr(factory))}"


def _redefinition(existing: Callable[..., Any], new: Callable[..., Any]) -> bool:
    """Whether ``new`` is ``existing`` defined again by a re-imported user file (same qualified name)."""
    from pyrovae.user_file import USER_MODULE_PREFIX

    modules = (getattr(existing, "__module__", ""), getattr(new, "__module__", ""))
    same_name = getattr(existing, "__qualname__", None) == getattr(new, "__qualname__", None)
    return existing is new or (same_name and all(m.startswith(USER_MODULE_PREFIX) for m in modules))


def positive_int(value: Any, what: str) -> int:
    """``value`` if it is a positive integer (a count option such as ``steps``), else a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what} must be a positive integer, got {value!r}")
    return value
