"""The portfolio management reads: every pilot with its standing, filtered and sorted."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from lab.analysis.pipeline import recommend_pilots
from lab.pilots.overlap import overlaps
from lab.stats.multiplicity import bh_q_values
from lab.web.queries import PilotRow, data_version, pilot_rows, spend_totals

STATUS_ORDER = ["running", "draft", "scaled_up", "revised", "withdrawn"]
FILTERS = ("status", "outcome", "process", "channel", "segment")
SORTS = {
    "status": lambda row: (STATUS_ORDER.index(row.status), row.key),
    "key": lambda row: row.key,
    "outcome": lambda row: (row.outcome or "~", row.key),
    "effect": lambda row: (_missing_last(row.effect_ratio, reverse=True), row.key),
    "q": lambda row: (_missing_last(row.q_value), row.key),
    "spend": lambda row: (_missing_last(row.spend_share, reverse=True), row.key),
    "end": lambda row: (row.end, row.key),
}


def _missing_last(value: float | None, reverse: bool = False) -> tuple[int, float]:
    if value is None or not math.isfinite(value):
        return (1, 0.0)
    return (0, -value if reverse else value)


@dataclass
class PortfolioRow:
    """One pilot as management sees it."""

    key: str
    title: str
    hypothesis: str
    statement: str
    process: str
    channel: str | None
    segment: str | None
    scope: str
    status: str
    owner: str
    iteration: int
    start: date
    end: date
    budget: float
    currency: str
    spend: float
    days_left: int
    outcome: str | None = None
    reasons: list[str] = field(default_factory=list)
    primary: dict[str, Any] = field(default_factory=dict)
    minimum_effect: float | None = None
    q_value: float | None = None
    overlaps: list[str] = field(default_factory=list)
    overlapping: list[str] = field(default_factory=list)  # the other pilots' keys

    @property
    def spend_share(self) -> float | None:
        """Return spend as a share of budget, or None without a budget."""
        return self.spend / self.budget if self.budget else None

    @property
    def cost_per_outcome(self) -> float | None:
        """Return spend per incremental outcome, once the primary effect is clearly positive.

        Incremental outcomes are the effect times the pilot arm's units (customers for a
        proportion, exposure for a rate); a mean has no countable outcome, so none.
        """
        primary = self.primary
        if self.primary.get("kind") not in ("proportion", "rate") or not self.spend:
            return None
        low, estimate, units = (primary.get(name) for name in ("ci_low", "estimate", "n_pilot"))
        if not (_finite(low) and low > 0 and _finite(estimate) and _finite(units)):
            return None
        return self.spend / (estimate * units) if estimate * units > 0 else None

    @property
    def effect_ratio(self) -> float | None:
        """Return the primary effect in units of its minimum effect."""
        estimate = self.primary.get("estimate")
        if estimate is None or not self.minimum_effect:
            return None
        return estimate / self.minimum_effect


def _row(found: PilotRow, spent: float, today: date) -> PortfolioRow:
    pilot, hypothesis = found.pilot, found.hypothesis
    primary = next((m for m in pilot.plan.get("metrics", []) if m.get("role") == "primary"),
                   {})
    return PortfolioRow(
        key=pilot.key, title=pilot.title, hypothesis=hypothesis.key,
        statement=hypothesis.statement, process=hypothesis.process, channel=found.channel,
        segment=found.segment, scope=found.scope, status=pilot.status, owner=pilot.owner,
        iteration=pilot.iteration, start=pilot.start_date, end=pilot.end_date,
        budget=pilot.budget, currency=pilot.currency, spend=spent,
        days_left=(pilot.end_date - today).days, minimum_effect=primary.get("minimum_effect"),
        primary={name: primary.get(name) for name in ("key", "kind", "direction")})


_checked: OrderedDict[tuple, dict[str, dict[str, Any]]] = OrderedDict()
_checked_lock = threading.Lock()


def recommendations(session: Session) -> dict[str, dict[str, Any]]:
    """Return every checked pilot's recommendation as a dict, by pilot key.

    Checking the whole portfolio is the expensive part of the page, and the page and its
    chart both need it: the answer is kept until the data (or the day) change.
    """
    key = (str(session.get_bind().url), data_version(session), date.today())
    with _checked_lock:
        if key in _checked:
            return _checked[key]
    found = {pilot: rec.to_dict() for pilot, rec in recommend_pilots(session).items()}
    with _checked_lock:
        _checked[key] = found
        while len(_checked) > 8:
            _checked.popitem(last=False)
    return found


def build(session: Session, today: date | None = None) -> list[PortfolioRow]:
    """Return every pilot with recommendation, spend, overlaps and q-value."""
    today = today or date.today()
    spent = spend_totals(session)
    rows = [_row(found, spent.get(found.pilot.id, 0.0), today)
            for found in pilot_rows(session)]
    checked = recommendations(session)
    for row in rows:
        found = checked.get(row.key)
        if found:
            row.outcome, row.reasons = found.get("outcome"), list(found.get("reasons", []))
            row.primary = next((m for m in found.get("metrics", [])
                                if m.get("role") == "primary"), row.primary)
    _add_q_values(rows)
    _add_overlaps(session, rows)
    return rows


def _add_q_values(rows: list[PortfolioRow]) -> None:
    """Give each checked primary its Benjamini–Hochberg q-value across the portfolio."""
    tested = [row for row in rows if _finite(row.primary.get("p_value"))]
    _, q_values = bh_q_values([row.primary["p_value"] for row in tested])
    for row, q in zip(tested, q_values, strict=True):
        row.q_value = float(q)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _add_overlaps(session: Session, rows: list[PortfolioRow]) -> None:
    by_key = {row.key: row for row in rows}
    for overlap in overlaps(session):
        for key, other in ((overlap.pilot_a, overlap.pilot_b), (overlap.pilot_b, overlap.pilot_a)):
            if key in by_key:
                by_key[key].overlaps.append(overlap.message)
                by_key[key].overlapping.append(other)


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
