"""CSV exports that a spreadsheet opens as data, never as formulas."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from typing import Any

from lab.portfolio import PortfolioRow

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# carriage return, may shift it into one); a leading quote makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PORTFOLIO_COLUMNS = [
    "pilot", "title", "hypothesis", "statement", "process", "channel", "segment", "status",
    "owner", "iteration", "start", "end", "days_left", "budget", "spend", "currency",
    "recommendation", "primary_metric", "estimate", "ci_low", "ci_high", "p_value",
    "q_value", "minimum_effect", "cost_per_outcome", "overlaps",
]


def safe_cell(value: Any) -> str:
    """Write one cell: numbers as numbers, text defused against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "" if isinstance(value, float) and not math.isfinite(value) else repr(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    """Write rows under a header as CSV text with every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def portfolio_csv(rows: list[PortfolioRow]) -> str:
    """Write the portfolio as CSV, one pilot a line."""
    return to_csv(PORTFOLIO_COLUMNS, ([
        row.key, row.title, row.hypothesis, row.statement, row.process, row.channel,
        row.segment, row.status, row.owner, row.iteration, row.start.isoformat(),
        row.end.isoformat(), row.days_left, row.budget, row.spend, row.currency,
        row.outcome, row.primary.get("key"), row.primary.get("estimate"),
        row.primary.get("ci_low"), row.primary.get("ci_high"), row.primary.get("p_value"),
        row.q_value, row.minimum_effect, row.cost_per_outcome, " | ".join(row.overlaps),
    ] for row in rows))
