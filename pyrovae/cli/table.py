"""Printing metric tables with units."""

from __future__ import annotations

from typing import Any, Mapping


def format_table(title: str, rows: Mapping[str, Any]) -> str:
    """A two-column table: metric name and its value (an Estimate prints with ± and unit)."""
    width = max((len(name) for name in rows), default=0)
    lines = [title, "-" * max(len(title), width + 30)]
    for name, value in rows.items():
        lines.append(f"{name.ljust(width)}  {value}")
    return "\n".join(lines)
