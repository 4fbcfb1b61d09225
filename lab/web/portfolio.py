"""The portfolio page's choices: filter, sort and page the rows of the portfolio read model.

The page shows PER_PAGE rows at a time; what it says of the portfolio as a whole (the
tiles, the fluke count, the programme figures) is counted over every row the filters
keep, on every page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask import get_template_attribute
from markupsafe import Markup

from lab.errors import DomainError, NotFound
from lab.portfolio import PortfolioRow, standing
from lab.portfolio.kept import Portfolio
from lab.vocabulary import Outcome, Process, Status
from lab.words import evidence_word, judged_metric, outcome_word

PER_PAGE = 50
LISTED = 40  # a filter with more values than this is typed, not picked from a list
DECISIVE = (Outcome.scale_up, Outcome.revise, Outcome.withdraw)

# Running pilots first: they are the ones a decision may be waiting on.
STATUS_ORDER = [Status.running, Status.paused, Status.draft, Status.scaled_up, Status.revised,
                Status.withdrawn]
FILTERS = ("status", "outcome", "process", "channel", "segment")
SORTS = {
    # What a manager must act on first: decisions overdue (the longest first), then
    # running pilots with a decisive answer, then the rest as "status" orders them.
    "decision": lambda row: (_waiting(row), -(row.overdue or 0),
                             STATUS_ORDER.index(row.status), row.rank, row.key),
    # Within a status, the strongest evidence first, then the largest effect.
    "status": lambda row: (STATUS_ORDER.index(row.status), row.rank, row.key),
    "rank": lambda row: (row.rank, row.key),
    "key": lambda row: row.key,
    "outcome": lambda row: (row.outcome or "~", row.key),
    "effect": lambda row: (_missing_last(row.effect_ratio, reverse=True), row.key),
    "spend": lambda row: (_missing_last(row.spend_share, reverse=True), row.key),
    "end": lambda row: (row.end, row.key),
}


DEFAULT_SORT = "decision"


def ready(row: PortfolioRow) -> bool:
    """Tell whether a running pilot's recommendation is decisive (ready for a decision)."""
    return row.status == Status.running and row.outcome in DECISIVE


def _waiting(row: PortfolioRow) -> int:
    if row.overdue is not None:
        return 0
    return 1 if ready(row) else 2


def _missing_last(value: float | None, reverse: bool = False) -> tuple[int, float]:
    if value is None or not math.isfinite(value):
        return (1, 0.0)
    return (0, -value if reverse else value)


def options(rows: Sequence[PortfolioRow]) -> dict[str, list[str]]:
    """Return the values each filter can take, as found in the portfolio."""
    return {name: sorted({getattr(row, name) or "" for row in rows} - {""})
            for name in FILTERS}


def select_rows(rows: Sequence[PortfolioRow], filters: dict[str, str],
                sort: str = DEFAULT_SORT, descending: bool = False,
                grouping: str = "") -> list[PortfolioRow]:
    """Keep the rows matching every filter given, in the order asked for.

    Grouped by process, the rows come process by process (in the lifecycle's order),
    each process in the order asked for, so a page boundary splits the groups.
    """
    kept = [row for row in rows
            if all(_matches(row, name, value) for name, value in filters.items() if value)]
    kept.sort(key=SORTS.get(sort, SORTS[DEFAULT_SORT]), reverse=descending)
    if grouping == "process":
        kept.sort(key=_process_place)  # stable: the order asked for within a process
    return kept


def _process_place(row: PortfolioRow) -> int:
    order = [process.value for process in Process]
    return order.index(row.process) if row.process in order else len(order)


@dataclass(frozen=True)
class Page:
    """One page of the selected rows: its rows, its number, and how many there are."""

    rows: list[PortfolioRow]
    number: int
    pages: int
    total: int  # rows the filters keep, on every page

    @property
    def first(self) -> int:
        """Return the place of the page's first row among all (1-based; 0 when empty)."""
        return (self.number - 1) * PER_PAGE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """Return the place of the page's last row among all."""
        return self.first + len(self.rows) - 1 if self.rows else 0


def page_of(rows: list[PortfolioRow], asked: str | None) -> Page:
    """Return the page asked for (the first when none is): 400 if not a page number.

    Only the digits 0-9 make a page number (`str.isdigit` would take '²' too).

    A number past the last page is 404: the page does not exist (yet, or any more).
    """
    pages = max(1, math.ceil(len(rows) / PER_PAGE))
    text = (asked or "").strip() or "1"
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise DomainError(f"page must be a whole number from 1 to {pages}, not {asked!r}",
                          [("page", "not a page number")])
    number = int(text)
    if number > pages:
        raise NotFound(f"there is no page {number}: these filters give {len(rows)} pilots, "
                       f"{pages} page{'s' if pages != 1 else ''} of {PER_PAGE}")
    start = (number - 1) * PER_PAGE
    return Page(rows[start:start + PER_PAGE], number, pages, len(rows))


def headline(rows: Sequence[PortfolioRow], currency: str) -> dict:
    """Count what the tiles say of every selected row, whatever page is shown."""
    running = [row for row in rows if row.status == Status.running]
    return {"shown": len(rows), "running": len(running),
            "ready": sum(ready(row) for row in running),
            "overdue": sum(row.overdue is not None for row in running),
            "overlapping": sum(bool(row.overlaps) for row in rows),
            "money": standing.money_totals(rows, currency),
            "wins": standing.wins_and_flukes(rows)}


def rendered(current: Portfolio, rows: Sequence[PortfolioRow], currency: str) -> dict:
    """Return these rows' HTML by key, each rendered once per kept portfolio.

    A row's HTML depends on the row and the lab's currency alone (no reader, no page),
    so a version's rows are rendered once, whichever page or reader shows them.
    """
    row_of = get_template_attribute("parts/portfolio_row.html", "row_of")
    return {row.key: current.derived(("row", row.key, currency),
                                     lambda row=row: Markup(row_of(row, currency)))
            for row in rows}


def overlap_messages(rows: Sequence[PortfolioRow]) -> list[str]:
    """Return the overlap warnings of these rows, each once, in the rows' order."""
    return list(dict.fromkeys(message for row in rows for message in row.overlaps))


def _matches(row: PortfolioRow, name: str, value: str) -> bool:
    found = getattr(row, name, None)
    if name == "outcome" and value == "none":
        return found is None
    return found == value


def by_process(rows: Sequence[PortfolioRow]) -> list[tuple[str, list[PortfolioRow]]]:
    """Group rows by customer-lifecycle process, in the lifecycle's order."""
    order = [process.value for process in Process]
    found = sorted({row.process for row in rows},
                   key=lambda name: order.index(name) if name in order else len(order))
    return [(name, [row for row in rows if row.process == name]) for name in found]


def chart_alt(rows: list[PortfolioRow]) -> str:
    """Say what the portfolio chart shows, pilot by pilot, for a screen reader."""
    said = [f"{row.key}: {outcome_word(row.outcome)}, {judged_metric(row.primary)}, "
            f"{evidence_word(row.evidence)}"
            for row in rows if row.checked and row.primary.get("estimate") is not None]
    if not said:
        return "Chart of primary effects: no pilot has a measured effect yet."
    return "Primary effect of each pilot against its minimum effect. " + "; ".join(said) + "."
