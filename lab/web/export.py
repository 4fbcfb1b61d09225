"""CSV exports that a spreadsheet opens as data, never as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from lab.delimiters import FORMULA_STARTS, safe_cell  # noqa: F401 - their home, re-exported
from lab.portfolio import PortfolioRow

PORTFOLIO_COLUMNS = [
    "pilot", "title", "hypothesis", "statement", "process", "channel", "segment", "status",
    "owner", "iteration", "start", "end", "days_left", "budget", "spend", "currency",
    "recommendation", "primary_metric", "estimate", "ci_low", "ci_high", "p_value",
    "q_value", "minimum_effect", "cost_per_outcome", "attainment", "overlaps",
]


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
        row.q_value, row.minimum_effect, row.cost_per_outcome, row.attainment,
        " | ".join(row.overlaps),
    ] for row in rows))
