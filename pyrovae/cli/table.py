"""Printing metric tables with units."""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def format_table(title: str, rows: Mapping[str, Any]) -> str:
    """A two-column table: metric name and its value (an Estimate prints with ± and unit)."""
    width = max((len(name) for name in rows), default=0)
    lines = [title, "-" * max(len(title), width + 30)]
    for name, value in rows.items():
        lines.append(f"{name.ljust(width)}  {value}")
    return "\n".join(lines)


def format_grid(title: str, columns: Sequence[str], rows: Mapping[str, Mapping[str, Any]], units: Mapping[str, str] | None = None) -> str:
    """A table with one row per key of ``rows`` and one column per name in ``columns``.

    Cells are Estimates (printed as ``value ± stderr``, without unit), other values (``str``),
    or missing (``-``). ``units`` adds a second header line with each column's unit, so the
    cells stay short.
    """
    header = ["", *columns]
    lines = [header, ["", *((units or {}).get(c, "") for c in columns)]] if units else [header]
    for label, values in rows.items():
        lines.append([label, *(_cell(values.get(column)) for column in columns)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(line, widths))).rstrip() for line in lines]
    rule = "-" * max(len(title), max(len(line) for line in text))
    body = text[: len(lines) - len(rows)] + [rule] + text[len(lines) - len(rows) :]
    return "\n".join([title, rule, *body])


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if hasattr(value, "value") and hasattr(value, "stderr"):
        from pyrovae.metrics.estimate import Estimate

        return str(Estimate(value.value, value.stderr, ""))
    return str(value)
