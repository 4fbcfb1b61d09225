"""The backlog read model: hypotheses ranked by priority, and how well scores predicted.

Each row is a hypothesis with its backlog entry, its priority and band, and the pilots
testing it with their decisions. `calibration` counts the decisions by priority band,
so the team sees whether high scores went on to scale up more often than low ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session, col, select

from lab.models import BacklogEntry, Decision, Hypothesis, Pilot
from lab.pilots import backlog
from lab.pilots.frames import FLOAT, INT, STAMP, TEXT, category, typed
from lab.portfolio.measures import hypothesis_state
from lab.vocabulary import FINAL_STATE, Function, Process

BAND_NAMES = ("high", "medium", "low", "unscored")
STATES = ("open", "supported", "refuted", "mixed")
FILTERS = ("process", "function", "state", "band", "owner")


@dataclass
class BacklogRow:
    """One hypothesis on the backlog."""

    hypothesis: Hypothesis
    entry: BacklogEntry | None
    priority: float | None
    band: str
    pilots: list[tuple[str, str]] = field(default_factory=list)  # key, status
    decisions: list[str] = field(default_factory=list)  # scale_up, revise, withdraw

    @property
    def state(self) -> str:
        return hypothesis_state(status for _, status in self.pilots)

    @property
    def function(self) -> str:
        return self.entry.function if self.entry else ""


def rows(session: Session, weights: dict[str, float],
         filters: dict[str, str] | None = None) -> list[BacklogRow]:
    """Return the backlog ranked: highest priority first, unscored last, then by key."""
    entries = {entry.hypothesis_id: entry for entry in session.exec(select(BacklogEntry))}
    pilots: dict[int, list[tuple[str, str]]] = {}
    decided: dict[int, list[str]] = {}
    by_state = {state: action for action, state in FINAL_STATE.items()}
    found = session.exec(select(Pilot.hypothesis_id, Pilot.key, Pilot.status,
                                Decision.outcome).join(Decision, isouter=True)
                         .order_by(col(Pilot.id)))
    for hypothesis_id, key, status, outcome in found:
        pilots.setdefault(hypothesis_id, []).append((key, status))
        if outcome:
            decided.setdefault(hypothesis_id, []).append(by_state.get(outcome, outcome))
    listed = []
    for hypothesis in session.exec(select(Hypothesis)):
        entry = entries.get(hypothesis.id)
        value = backlog.priority(entry, weights)
        listed.append(BacklogRow(hypothesis, entry, value, backlog.band(value),
                                 pilots.get(hypothesis.id, []), decided.get(hypothesis.id, [])))
    chosen = [row for row in listed if _matches(row, filters or {})]
    return sorted(chosen, key=lambda row: (row.priority is None, -(row.priority or 0),
                                           row.hypothesis.key))


def _matches(row: BacklogRow, filters: dict[str, str]) -> bool:
    wanted = {name: value for name, value in filters.items() if value}
    facts = {"process": row.hypothesis.process, "function": row.function, "state": row.state,
             "band": row.band, "owner": row.hypothesis.owner}
    return all(facts.get(name) == value for name, value in wanted.items())


def filter_problems(filters: dict[str, str]) -> list[tuple[str, str]]:
    """Name each filter whose value is not one of its allowed values."""
    allowed = {"process": [str(p) for p in Process], "function": [str(f) for f in Function],
               "state": list(STATES), "band": list(BAND_NAMES)}
    return [(name, f"must be one of {', '.join(allowed[name])}")
            for name, value in filters.items()
            if value and name in allowed and value not in allowed[name]]


@dataclass(frozen=True)
class BandRecord:
    """What the decisions on one band's hypotheses came to."""

    band: str
    hypotheses: int
    decided: int
    scale_up: int
    revise: int
    withdraw: int

    @property
    def win_rate(self) -> float | None:
        return self.scale_up / self.decided if self.decided else None


def calibration(listed: Iterable[BacklogRow]) -> list[BandRecord]:
    """Count the decisions by priority band: did the high scores win more often?"""
    listed = list(listed)
    records = []
    for name in BAND_NAMES:
        chosen = [row for row in listed if row.band == name]
        outcomes = [outcome for row in chosen for outcome in row.decisions]
        records.append(BandRecord(name, len(chosen), len(outcomes),
                                  outcomes.count("scale_up"), outcomes.count("revise"),
                                  outcomes.count("withdraw")))
    return records


BACKLOG = {"hypothesis": TEXT, "statement": TEXT, "process": category(Process),
           "function": category(Function), "expected_benefit": TEXT,
           "expected_value": FLOAT, "expected_unit": TEXT, "impact": INT, "fit": INT,
           "effort": INT, "confidence": INT, "priority": FLOAT,
           "band": category(BAND_NAMES), "state": category(STATES), "owner": TEXT,
           "pilots": TEXT, "decisions": INT, "scaled_up": INT, "updated_at": STAMP}


def backlog_frame(listed: Iterable[BacklogRow]) -> pd.DataFrame:
    """Return the ranked backlog as a typed frame, one row per hypothesis."""
    records = []
    for row in listed:
        entry = row.entry
        records.append({
            "hypothesis": row.hypothesis.key, "statement": row.hypothesis.statement,
            "process": row.hypothesis.process, "function": row.function or None,
            "expected_benefit": row.hypothesis.expected_benefit,
            **{name: getattr(entry, name) if entry else None
               for name in ("expected_value", "expected_unit", *backlog.BACKLOG_SCORES)},
            "priority": row.priority, "band": row.band, "state": row.state,
            "owner": row.hypothesis.owner, "pilots": ",".join(key for key, _ in row.pilots),
            "decisions": len(row.decisions), "scaled_up": row.decisions.count("scale_up"),
            "updated_at": entry.updated_at if entry else None})
    return typed(records, BACKLOG)
