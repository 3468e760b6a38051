"""GitHub-style Markdown tables without pandas (the end-of-run summary must start fast)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def cell(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return str(value).replace("|", "\\|")


def table(columns: Sequence, rows: Iterable[Sequence]) -> str:
    """A Markdown table of ``rows`` (sequences in the order of ``columns``)."""
    head = "| " + " | ".join(map(str, columns)) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body]) + "\n"
