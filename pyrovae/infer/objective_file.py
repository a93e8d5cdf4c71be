"""An objective from a Python file: ``--set objective=FILE.py objective.KEY=VALUE``.

An *objective file* defines ``objective(**options)`` returning an
:class:`~pyrovae.infer.Objective` (a subclass of it is one: the class is called with the
options). Its keyword options are ``--set objective.KEY=VALUE``. The file is copied into the run
directory as ``objective.py``, so the run does not depend on the original, and a name the file
registers with ``@OBJECTIVES.register`` is also reachable as ``--set objective=NAME`` once the file
(or a model file doing the same) is imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyrovae.errors import ConfigError, ModelFileError
from pyrovae.infer.objective import Objective
from pyrovae.user_file import keyword_options, load_user_function

CONTRACT = "an objective file defines objective(**options) returning a pyrovae.infer.Objective (see docs/extending.md)"


def objective_from_file(path: Path, options: dict[str, Any] | None = None) -> Objective:
    """Call ``objective(**options)`` of the file at ``path``.

    Raises:
        ConfigError: the file is missing, or ``options`` holds names the function does not take
            (the message lists those it takes), or values it rejects.
        ModelFileError: the file does not import, defines no ``objective``, or it returns
            something that is not an objective.
    """
    options = dict(options or {})
    function = load_user_function(Path(path), "objective", CONTRACT)
    valid, accepts_any = keyword_options(function, 0)
    unknown = sorted(set(options) - set(valid))
    if unknown and not accepts_any:
        listed = ", ".join(f"objective.{k}={p.default!r}" for k, p in valid.items()) or "none"
        raise ConfigError(f"objective() of {Path(path).name} has no option(s) {', '.join(unknown)}; its options are {listed}")
    try:
        objective = function(**options)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"objective() of {Path(path).name} rejected its options {options}: {error}") from None
    if not isinstance(objective, Objective):
        raise ModelFileError(f"objective() of {path} returned a {type(objective).__name__}: {CONTRACT}")
    return objective
