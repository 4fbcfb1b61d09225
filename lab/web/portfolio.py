"""The portfolio page's choices: filter and sort the rows of the portfolio read model."""

from __future__ import annotations

import math

from lab.portfolio import PortfolioRow
from lab.vocabulary import Process, Status
from lab.words import evidence_word, judged_metric, outcome_word

# Running pilots first: they are the ones a decision may be waiting on.
STATUS_ORDER = [Status.running, Status.paused, Status.draft, Status.scaled_up, Status.revised,
                Status.withdrawn]
FILTERS = ("status", "outcome", "process", "channel", "segment")
SORTS = {
    # Within a status, the strongest evidence first, then the largest effect.
    "status": lambda row: (STATUS_ORDER.index(row.status), row.rank, row.key),
    "rank": lambda row: (row.rank, row.key),
    "key": lambda row: row.key,
    "outcome": lambda row: (row.outcome or "~", row.key),
    "effect": lambda row: (_missing_last(row.effect_ratio, reverse=True), row.key),
    "spend": lambda row: (_missing_last(row.spend_share, reverse=True), row.key),
    "end": lambda row: (row.end, row.key),
}


def _missing_last(value: float | None, reverse: bool = False) -> tuple[int, float]:
    if value is None or not math.isfinite(value):
        return (1, 0.0)
    return (0, -value if reverse else value)


def options(rows: list[PortfolioRow]) -> dict[str, list[str]]:
    """Return the values each filter can take, as found in the portfolio."""
    return {name: sorted({getattr(row, name) or "" for row in rows} - {""})
            for name in FILTERS}


def select_rows(rows: list[PortfolioRow], filters: dict[str, str], sort: str = "status",
                descending: bool = False) -> list[PortfolioRow]:
    """Keep the rows matching every filter given, in the order asked for."""
    kept = [row for row in rows
            if all(_matches(row, name, value) for name, value in filters.items() if value)]
    return sorted(kept, key=SORTS.get(sort, SORTS["status"]), reverse=descending)


def _matches(row: PortfolioRow, name: str, value: str) -> bool:
    found = getattr(row, name, None)
    if name == "outcome" and value == "none":
        return found is None
    return found == value


def by_process(rows: list[PortfolioRow]) -> list[tuple[str, list[PortfolioRow]]]:
    """Group rows by customer-lifecycle process, in the lifecycle's order."""
    order = [process.value for process in Process]
    found = sorted({row.process for row in rows},
                   key=lambda name: order.index(name) if name in order else len(order))
    return [(name, [row for row in rows if row.process == name]) for name in found]


def chart_alt(rows: list[PortfolioRow]) -> str:
    """Say what the portfolio chart shows, pilot by pilot, for a screen reader."""
    said = [f"{row.key}: {outcome_word(row.outcome)}, {judged_metric(row.primary)}, "
            f"{evidence_word(row.evidence)}"
            for row in rows if row.recommendation and row.primary.get("estimate") is not None]
    if not said:
        return "Chart of primary effects: no pilot has a measured effect yet."
    return "Primary effect of each pilot against its minimum effect. " + "; ".join(said) + "."
