"""Programme figures for management, per quarter: how the lab as a whole is doing.

Pilots are grouped by the quarter they started in (a cohort), so a quarter's share of
pilots decided and its win rate keep rising as its pilots finish, and never move a
pilot from one quarter to another. Per quarter, and over all:

- pilots started, decided, the share decided, the win rate (scaled up ÷ decided);
- the median weeks from start to decision;
- spend by outcome (scaled up, revised, withdrawn, not yet decided);
- the extra outcomes of the scaled-up pilots summed, with a 95% interval. Each pilot's
  extra outcomes are its oriented effect times its pilot-arm units (see
  `measures.incremental_outcomes`: only proportion and rate primaries count); the pilots
  are independent, so the sum's standard error is the root of the summed squares of each
  one's, read from its interval as a normal one. It adds counts of different things
  (customers kept, complaints avoided): a scale for management, not one metric.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from lab.pilots.frames import FLOAT, INT, TEXT, typed
from lab.portfolio.measures import COUNTABLE
from lab.portfolio.rows import PortfolioRow
from lab.words import to_float

Z95 = 1.959964
OUTCOMES = ("scaled_up", "revised", "withdrawn")
ALL = "all"


@dataclass
class QuarterFigures:
    quarter: str  # "2026-Q2", or "all"
    started: int = 0
    decided: int = 0
    scaled_up: int = 0
    weeks: list[float] = field(default_factory=list)
    spend: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        (*OUTCOMES, "undecided"), 0.0))
    extra: float = 0.0
    extra_variance: float = 0.0
    extra_pilots: int = 0

    @property
    def share_decided(self) -> float | None:
        return self.decided / self.started if self.started else None

    @property
    def win_rate(self) -> float | None:
        return self.scaled_up / self.decided if self.decided else None

    @property
    def median_weeks(self) -> float | None:
        return statistics.median(self.weeks) if self.weeks else None

    @property
    def extra_interval(self) -> tuple[float, float] | None:
        if not self.extra_pilots:
            return None
        half = Z95 * math.sqrt(self.extra_variance)
        return self.extra - half, self.extra + half


def quarter_of(moment) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def figures(rows: Iterable[PortfolioRow]) -> list[QuarterFigures]:
    """Return the figures of each quarter that started a pilot, oldest first, then all."""
    quarters: dict[str, QuarterFigures] = {}
    total = QuarterFigures(ALL)
    for row in rows:
        if row.status == "draft":
            continue  # not started: no quarter yet, and its budget is planned, not spent
        name = quarter_of(row.start)
        for found in (quarters.setdefault(name, QuarterFigures(name)), total):
            _add(found, row)
    return [quarters[name] for name in sorted(quarters)] + [total]


def _add(found: QuarterFigures, row: PortfolioRow) -> None:
    found.started += 1
    outcome = (row.decision or {}).get("outcome")
    found.spend[outcome if outcome in OUTCOMES else "undecided"] += row.spend
    if outcome not in OUTCOMES:
        return
    found.decided += 1
    decided_at = row.decision.get("decided_at")
    if decided_at is not None:
        found.weeks.append(max((decided_at.date() - row.start).days, 0) / 7)
    if outcome != "scaled_up":
        return
    found.scaled_up += 1
    primary = row.primary or {}
    units, estimate = to_float(primary.get("n_pilot")), to_float(primary.get("estimate"))
    low, high = to_float(primary.get("ci_low")), to_float(primary.get("ci_high"))
    if primary.get("kind") in COUNTABLE and all(map(math.isfinite, (units, estimate, low,
                                                                    high))):
        found.extra += estimate * units
        found.extra_variance += ((high - low) / (2 * Z95) * units) ** 2
        found.extra_pilots += 1


FIGURES = {"quarter": TEXT, "started": INT, "decided": INT, "share_decided": FLOAT,
           "scaled_up": INT, "win_rate": FLOAT, "median_weeks": FLOAT,
           "spend_scaled_up": FLOAT, "spend_revised": FLOAT, "spend_withdrawn": FLOAT,
           "spend_undecided": FLOAT, "extra_outcomes": FLOAT, "extra_low": FLOAT,
           "extra_high": FLOAT}


def figures_frame(found: list[QuarterFigures]) -> pd.DataFrame:
    """Return the figures as a typed frame, one row per quarter and the row 'all'."""
    return typed([{"quarter": q.quarter, "started": q.started, "decided": q.decided,
                   "share_decided": q.share_decided, "scaled_up": q.scaled_up,
                   "win_rate": q.win_rate, "median_weeks": q.median_weeks,
                   **{f"spend_{name}": value for name, value in q.spend.items()},
                   "extra_outcomes": q.extra if q.extra_pilots else None,
                   "extra_low": q.extra_interval[0] if q.extra_interval else None,
                   "extra_high": q.extra_interval[1] if q.extra_interval else None}
                  for q in found], FIGURES)
