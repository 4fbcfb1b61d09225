"""The portfolio read model: every pilot's standing, computed once.

The web's portfolio page, its CSV export and chart, the API, the reports and the
notebooks all read the portfolio here (the recommendations come from `recommend_pilots`),
so a q-value, a cost per outcome or a threshold line cannot be worked out two ways.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session

from lab.analysis import standing
from lab.analysis.pipeline import recommend_pilots
from lab.analysis.result import Recommendation
from lab.caching import SharedLRU
from lab.errors import NotFound
from lab.pilots import frames
from lab.pilots.decisions import decisions_by_pilot
from lab.pilots.find import get_pilot
from lab.pilots.frames import DATE, FLOAT, INT, TEXT, category, typed
from lab.pilots.overlap import overlaps
from lab.pilots.reads import PilotRow, data_version, pilot_rows, spend_totals
from lab.stats.multiplicity import bh_q_values
from lab.vocabulary import Analysis, Design, Direction, Kind, Outcome, Role, Status
from lab.words import to_float

RECOMMENDATIONS = {
    "pilot": TEXT, "title": TEXT, "status": category(Status), "design": category(Design),
    "analysis": category(Analysis), "outcome": category(Outcome), "final": "boolean",
    "information_fraction": FLOAT, "metric": TEXT, "kind": category(Kind),
    "direction": category(Direction), "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
    "p_value": FLOAT, "q_value": FLOAT,
    "minimum_effect": FLOAT, "lift": FLOAT, "lift_ci_low": FLOAT, "lift_ci_high": FLOAT,
    "n_pilot": FLOAT, "n_control": FLOAT, "needed_sample": INT, "projected_date": DATE,
    "budget": FLOAT, "spend": FLOAT, "currency": TEXT, "incremental": FLOAT,
    "cost_per_incremental": FLOAT, "reasons": TEXT}
EFFECTS = {
    "pilot": TEXT, "metric": TEXT, "role": category(Role), "kind": category(Kind),
    "direction": category(Direction), "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
    "p_value": FLOAT, "lift": FLOAT, "lift_ci_low": FLOAT, "lift_ci_high": FLOAT,
    "method": TEXT, "n_pilot": FLOAT, "n_control": FLOAT}
LOOKS = {"pilot": TEXT, "period": DATE, "information_fraction": FLOAT, "boundary": FLOAT,
         "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "outcome": category(Outcome)}
THRESHOLDS = ("minimum_effect", "margin", "label")  # what the plan adds to a metric's result
COUNTABLE = (Kind.proportion, Kind.rate)  # kinds whose effect counts extra outcomes

_checked: SharedLRU[tuple, dict[str, dict[str, Any]]] = SharedLRU(8)


def recommendations(session: Session) -> dict[str, dict[str, Any]]:
    """Return every checked pilot's recommendation as a dict, by pilot key.

    Checking the whole portfolio is the expensive part of every portfolio read: the
    answer is kept until the data (or the day) change. The dicts are shared: never
    modify them.
    """
    key = (str(session.get_bind().url), data_version(session), date.today())
    found = _checked.get(key)
    if found is None:
        found = {pilot: rec.to_dict() for pilot, rec in recommend_pilots(session).items()}
        _checked.put(key, found)
    return found


def primary_of(answer: Mapping) -> dict:
    """Return the primary metric's entry of a recommendation dict (empty if none)."""
    return next((m for m in answer.get("metrics") or [] if m.get("role") == Role.primary), {})


def q_values(answers: Mapping[str, Mapping]) -> dict[str, float | None]:
    """Return the Benjamini–Hochberg q-value of each pilot's primary across the portfolio.

    Advice on how many apparent effects could be flukes, never a gate (STATISTICS §5).
    A pilot whose primary has no p-value yet takes no part and gets None.
    """
    keys = list(answers)
    p = [to_float(primary_of(answers[key]).get("p_value")) for key in keys]
    _, adjusted = bh_q_values(p)
    return {key: float(q) if math.isfinite(q) else None
            for key, q in zip(keys, adjusted, strict=True)}


def incremental_outcomes(primary: Mapping) -> float | None:
    """Return the extra outcomes the pilot arm produced: the effect times its units.

    The units are the pilot arm's trials (customers) for a proportion and its exposure
    for a rate, and the effect is oriented, so for a lower-is-better metric this counts
    the outcomes avoided. None until an effect is measured (the interval above zero):
    before that the count is noise. A mean counts no outcomes (its effect times n is,
    say, minutes summed over customers), so a mean primary gives None too.
    """
    low, estimate, units = (to_float(primary.get(name))
                            for name in ("ci_low", "estimate", "n_pilot"))
    if primary.get("kind") not in COUNTABLE or not (low > 0 and estimate > 0 and units > 0):
        return None
    return estimate * units


def cost_per_outcome(primary: Mapping, spend: float) -> float | None:
    """Return the spend per extra outcome of the primary, or None when it is not known.

    None without extra outcomes (see `incremental_outcomes`) and without spend: spend is
    logged by hand, so none recorded means the cost is not known yet, and "0 EUR per
    outcome" would read as free.
    """
    extra = incremental_outcomes(primary)
    return spend / extra if extra and spend > 0 else None


def with_thresholds(answer: Mapping, plan: Mapping) -> dict:
    """Add each metric's planned minimum effect, margin and label to a recommendation.

    The charts draw them as reference lines and the tables name metrics by their label;
    the recommendation carries only what was measured. `plan` is `Pilot.plan`.
    """
    planned = {metric["key"]: metric for metric in plan.get("metrics") or []}
    metrics = [{**{name: planned.get(entry.get("key"), {}).get(name) for name in THRESHOLDS},
                **entry} for entry in answer.get("metrics") or []]
    return {**answer, "metrics": metrics}


def hypothesis_state(statuses: Iterable[str]) -> str:
    """Say what a hypothesis's pilots so far make of it: open, supported, refuted, mixed."""
    statuses = set(statuses)
    scaled, withdrawn = Status.scaled_up in statuses, Status.withdrawn in statuses
    if scaled and withdrawn:
        return "mixed"
    return "supported" if scaled else "refuted" if withdrawn else "open"


@dataclass
class PortfolioRow:
    """One pilot as management sees it: plan, standing, spend, overlaps."""

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
    recommendation: dict[str, Any] | None = None  # as `answers` gives it; None: a draft
    primary: dict[str, Any] = field(default_factory=dict)
    overlaps: list[str] = field(default_factory=list)
    overlapping: list[str] = field(default_factory=list)  # the other pilots' keys
    decision: dict[str, Any] | None = None  # outcome, decided_by, decided_at, rationale
    design: str = Design.holdout.value
    today: date = field(default_factory=date.today)

    @property
    def evidence(self) -> str:
        """Return how strong the design's evidence is (randomized, comparison, before-after)."""
        return standing.evidence_of(self.recommendation, self.design)

    @property
    def guardrails(self) -> str:
        """Return where the guardrails stand: safe, harmed, unclear, or none."""
        return standing.guardrails_status((self.recommendation or {}).get("metrics") or [])

    @property
    def overdue(self) -> int | None:
        """Return the days a decision is overdue (0: due now), or None."""
        answer = self.recommendation or {}
        return standing.overdue_days(self.status, self.outcome, bool(answer.get("final")),
                                     self.end, self.today)

    @property
    def burn_rate(self) -> float | None:
        """Return the spend per week so far."""
        return standing.burn_rate(self.spend, self.start, self.end, self.today)

    @property
    def projected_cost(self) -> float:
        """Return the cost at the planned end at the current burn rate."""
        return standing.projected_cost(self.spend, self.status, self.start, self.end,
                                       self.today)

    @property
    def over_budget(self) -> bool:
        """Tell whether the spend already exceeds the budget."""
        return self.spend > self.budget

    @property
    def heading_over(self) -> bool:
        """Tell whether the projected cost exceeds the budget while spend does not yet."""
        return not self.over_budget and self.projected_cost > self.budget

    @property
    def rank(self) -> tuple:
        """Order for 'best first': strongest evidence first, then effect ÷ minimum."""
        ratio = self.effect_ratio
        return (standing.EVIDENCE_RANK.get(self.evidence, 9),
                -(ratio if ratio is not None and math.isfinite(ratio) else -math.inf))

    @property
    def outcome(self) -> str | None:
        """Return the recommended outcome, or None for a draft."""
        return (self.recommendation or {}).get("outcome")

    @property
    def reasons(self) -> list[str]:
        """Return the reasons of the recommendation (none for a draft)."""
        return list((self.recommendation or {}).get("reasons", []))

    @property
    def q_value(self) -> float | None:
        """Return the primary's q-value across the portfolio (see `q_values`)."""
        return (self.recommendation or {}).get("q_value")

    @property
    def minimum_effect(self) -> float | None:
        """Return the primary's planned minimum effect worth scaling."""
        return self.primary.get("minimum_effect")

    @property
    def spend_share(self) -> float | None:
        """Return spend as a share of budget, or None without a budget."""
        return self.spend / self.budget if self.budget else None

    @property
    def incremental(self) -> float | None:
        """Return the extra outcomes of the primary (see `incremental_outcomes`)."""
        return incremental_outcomes(self.primary)

    @property
    def cost_per_outcome(self) -> float | None:
        """Return the spend per extra outcome (see `cost_per_outcome`)."""
        return cost_per_outcome(self.primary, self.spend)

    @property
    def effect_ratio(self) -> float | None:
        """Return the primary effect in units of its minimum effect."""
        estimate = self.primary.get("estimate")
        if estimate is None or not self.minimum_effect:
            return None
        return estimate / self.minimum_effect


def build(session: Session, today: date | None = None) -> list[PortfolioRow]:
    """Return every pilot, in key order, with recommendation, spend, q-value and overlaps."""
    today = today or date.today()
    spent = spend_totals(session)
    checked = recommendations(session)
    q = q_values(checked)
    decided = decisions_by_pilot(session)
    rows = []
    for found in pilot_rows(session):
        answer = checked.get(found.pilot.key)
        if answer is not None:
            answer = {**with_thresholds(answer, found.pilot.plan), "q_value": q[found.pilot.key]}
        row = _row(found, spent.get(found.pilot.id, 0.0), today, answer)
        row.decision = _decision(decided.get(found.pilot.id))
        rows.append(row)
    _add_overlaps(session, rows)
    return rows


def answers(session: Session) -> dict[str, dict]:
    """Return every started pilot's `to_dict()` with its thresholds and its ``q_value``."""
    return {row.key: row.recommendation for row in build(session) if row.recommendation}


def _row(found: PilotRow, spent: float, today: date, answer: dict | None) -> PortfolioRow:
    pilot, hypothesis = found.pilot, found.hypothesis
    # A draft has no result yet: its primary is what the plan says of it.
    primary = primary_of(answer) if answer else {
        name: value for name, value in primary_of(pilot.plan).items()
        if name in ("key", "kind", "direction", *THRESHOLDS)}
    return PortfolioRow(
        key=pilot.key, title=pilot.title, hypothesis=hypothesis.key,
        statement=hypothesis.statement, process=hypothesis.process, channel=found.channel,
        segment=found.segment, scope=found.scope, status=pilot.status, owner=pilot.owner,
        iteration=pilot.iteration, start=pilot.start_date, end=pilot.end_date,
        budget=pilot.budget, currency=pilot.currency, spend=spent,
        days_left=(pilot.end_date - today).days, recommendation=answer, primary=primary,
        design=pilot.design, today=today)


def _decision(found) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"outcome": found.outcome, "recommended": found.recommended,
            "decided_by": found.decided_by, "decided_at": found.decided_at,
            "rationale": found.rationale}


def _add_overlaps(session: Session, rows: list[PortfolioRow]) -> None:
    by_key = {row.key: row for row in rows}
    for overlap in overlaps(session):
        for key, other in ((overlap.pilot_a, overlap.pilot_b), (overlap.pilot_b, overlap.pilot_a)):
            if key in by_key:
                by_key[key].overlaps.append(overlap.message)
                by_key[key].overlapping.append(other)


def recommendation(session: Session, pilot_key: str) -> Recommendation:
    """Return one pilot's Recommendation; raise NotFound for a draft or unknown key."""
    pilot = get_pilot(session, pilot_key)
    found = recommend_pilots(session, [pilot_key]).get(pilot_key)
    if found is None:
        raise NotFound(f"pilot '{pilot_key}' is {pilot.status}: a pilot has no "
                       "recommendation before it starts")
    return found


def answer(session: Session, pilot_key: str) -> dict:
    """Return one pilot's entry of `answers`; raise NotFound for a draft or unknown key."""
    pilot = get_pilot(session, pilot_key)
    found = answers(session).get(pilot_key)
    if found is None:
        raise NotFound(f"pilot '{pilot_key}' is {pilot.status}: a pilot has no "
                       "recommendation before it starts")
    return found


def recommendations_frame(session: Session,
                          keys: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Return one row per started pilot: outcome, primary effect, q-value, spend, cost."""
    wanted = _wanted(session, keys)
    rows = [_frame_row(row) for row in build(session)
            if row.recommendation and (wanted is None or row.key in wanted)]
    return typed(rows, RECOMMENDATIONS)


def _frame_row(row: PortfolioRow) -> dict:
    answer, primary = row.recommendation or {}, row.primary
    return {
        **{name: answer.get(name) for name in ("design", "analysis", "outcome", "final",
                                                "information_fraction", "needed_sample",
                                                "projected_date")},
        **{name: primary.get(name) for name in ("kind", "direction", "estimate", "ci_low",
                                                 "ci_high", "p_value", "minimum_effect", "lift",
                                                 "lift_ci_low", "lift_ci_high", "n_pilot",
                                                 "n_control")},
        "pilot": row.key, "title": row.title, "status": row.status,
        "metric": primary.get("key"), "q_value": row.q_value, "budget": row.budget,
        "spend": row.spend, "currency": row.currency, "incremental": row.incremental,
        "cost_per_incremental": row.cost_per_outcome, "reasons": "\n".join(row.reasons)}


def effects_frame(session: Session, keys: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Return one row per metric of each started pilot, as its recommendation reports it."""
    wanted = _wanted(session, keys)
    rows = [{**{name: metric.get(name) for name in EFFECTS}, "pilot": key,
             "metric": metric.get("key")}
            for key, answer in sorted(recommendations(session).items())
            if wanted is None or key in wanted
            for metric in answer.get("metrics") or []]
    return typed(rows, EFFECTS)


def looks_frame(found: Recommendation | Mapping) -> pd.DataFrame:
    """Return a recommendation's look history, one row per look."""
    answer = found if isinstance(found, Mapping) else found.to_dict()
    rows = [{**{name: look.get(name) for name in LOOKS}, "pilot": answer.get("pilot")}
            for look in answer.get("looks") or []]
    return typed(rows, LOOKS)


def _wanted(session: Session, keys: str | Iterable[str] | None) -> set[str] | None:
    """Return the pilot keys asked for (None: all); raise LookupError for unknown ones."""
    return None if keys is None else set(frames.pilot_ids(session, keys).values())
