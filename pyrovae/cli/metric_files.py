"""The metric files commands write and read: ``eval-SPLIT.json`` (``evaluate``),
``final_metrics.json`` (``fit``) and ``report.json`` (``diagnose``).

Each metric is stored as :meth:`Estimate.to_dict` (``value``, ``stderr``, ``unit``, ``note``).
Files are strict JSON: a value that is not finite (a metric undefined for the model, whose note
says why) is written as ``null``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from pyrovae.atomic import atomic_write_json
from pyrovae.metrics.estimate import Estimate


def jsonable(obj: Any) -> Any:
    """``obj`` with Estimates and dataclass results as dicts (``to_dict``), arrays and tensors as
    lists, and non-finite floats as None."""
    if hasattr(obj, "to_dict"):
        return jsonable(obj.to_dict())
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    if isinstance(obj, Mapping):
        return {str(key): jsonable(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(value) for value in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | Path, obj: Any) -> Path:
    """Write :func:`jsonable` ``(obj)`` to ``path`` atomically, creating folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, jsonable(obj))
    return path


def read_estimates(metrics: Mapping[str, Any]) -> dict[str, Estimate]:
    """The Estimates among ``{name: to_dict()}`` entries; entries without a value are left out."""
    found = {}
    for name, entry in metrics.items():
        if isinstance(entry, Mapping) and isinstance(entry.get("value"), (int, float)):
            found[name] = Estimate(float(entry["value"]), entry.get("stderr"), entry.get("unit", ""), entry.get("note"))
    return found
