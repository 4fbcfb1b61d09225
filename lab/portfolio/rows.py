"""The portfolio's rows: every pilot's plan, recommendation, spend, decision and overlaps.

The recommendations are the stored ones (`lab.portfolio.stored`): every write that
changes a pilot's inputs refreshed its answer before it committed, so a read only
decodes them. What depends on today (days left, overdue, burn rate) is worked out
here from the stored answer and the date of the read; the answers themselves depend
on the data alone (a final look is reached by a logged period, not by the calendar).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from sqlmodel import Session

from lab.analysis.pipeline import cyclic_gc_paused
from lab.analysis.result import Recommendation
from lab.errors import NotFound
from lab.pilots import firings, stored
from lab.pilots.decisions import decisions_by_pilot
from lab.pilots.find import get_pilot
from lab.pilots.lifecycle import moved_end
from lab.pilots.overlap import among
from lab.pilots.reads import planned_metrics, portfolio_pilots, scope_of, spend_totals
from lab.portfolio import decoded, standing
from lab.portfolio.measures import (
    THRESHOLDS,
    cost_per_outcome,
    incremental_outcomes,
    primary_of,
    q_values,
    with_thresholds,
)
from lab.portfolio.stored import fill
from lab.vocabulary import Design, Status


def recommendations(session: Session, keys: list[str] | None = None, *,
                    full: bool = True) -> dict[str, dict[str, Any]]:
    """Return every started pilot's (or these pilots') stored `to_dict()`, by pilot key.

    ``full=False`` leaves out the look histories (`stored.summary_of`). Read from the
    database, never recomputed: only a pilot with no stored answer yet (a database just
    upgraded) is computed, once, and stored.
    """
    found = stored.documents(session, keys, full=full)
    filled = fill(session, keys)
    if filled:
        found = dict(sorted({**found, **{key: document if full else stored.summary_of(document)
                                         for key, document in filled.items()}}.items()))
    return found


@dataclass
class PortfolioRow:
    """One pilot as management sees it: plan, standing, spend, overlaps.

    Built once and then only read (`lab.portfolio.kept` shares the rows between
    requests), so what the page sorts and counts by is worked out once per row.
    """

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
    standby: list[dict[str, Any]] = field(default_factory=list)  # its fired rules

    @property
    def proposes_withdrawal(self) -> bool:
        """Tell whether a fired stand-by rule asks the managers to withdraw the pilot."""
        return firings.proposes_withdrawal(self.standby)

    @cached_property
    def evidence(self) -> str:
        """Return how strong the design's evidence is (randomized, comparison, before-after)."""
        return standing.evidence_of(self.recommendation, self.design)

    @cached_property
    def guardrails(self) -> str:
        """Return where the guardrails stand: safe, harmed, unclear, or none."""
        return standing.guardrails_status((self.recommendation or {}).get("metrics") or [])

    @cached_property
    def targets(self) -> list[dict]:
        """Return each service-level target with the pilot arm's level and attainment."""
        return standing.targets_of((self.recommendation or {}).get("metrics") or [])

    @cached_property
    def attainment(self) -> str | None:
        """Return where the targets stand together: meets, misses, unclear (None: none)."""
        return standing.target_attainment((self.recommendation or {}).get("metrics") or [])

    @cached_property
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

    @cached_property
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

    @cached_property
    def effect_ratio(self) -> float | None:
        """Return the primary effect in units of its minimum effect."""
        estimate = self.primary.get("estimate")
        if estimate is None or not self.minimum_effect:
            return None
        return estimate / self.minimum_effect


def build(session: Session, today: date | None = None, *,
          full: Iterable[str] = ()) -> list[PortfolioRow]:
    """Return every pilot, in key order, with recommendation, spend, q-value and overlaps.

    The recommendations are summaries (no look histories) except those of the pilots
    named in ``full``, which a pilot's page or report draws.
    """
    today = today or date.today()
    with cyclic_gc_paused():  # a thousand decoded answers: see cyclic_gc_paused
        return _build(session, today, list(full))


def _build(session: Session, today: date, full: list[str]) -> list[PortfolioRow]:
    # A handful of queries for the whole portfolio, none per pilot, and columns rather
    # than entities (see `portfolio_pilots`).
    pilots = portfolio_pilots(session)
    planned = planned_metrics(session)
    ids = {found.key: found.id for found in pilots}

    def dressed(documents: dict[str, dict]) -> dict[str, dict]:
        # What did not come through `decoded` gets its plan's thresholds here, as
        # `decoded.summaries` gives them to the rest.
        return {key: with_thresholds(document, {"metrics": planned.get(ids.get(key), [])})
                for key, document in documents.items()}
    checked = decoded.summaries(session, planned)
    missing = [found.key for found in pilots
               if found.status != Status.draft and found.key not in checked]
    if missing:  # a database just upgraded: computed once, and stored
        checked.update(dressed({key: stored.summary_of(document)
                                for key, document in fill(session, missing).items()}))
    if full:
        checked.update(dressed(recommendations(session, full)))
    q = q_values(dict(sorted(checked.items())))
    spent, decided = spend_totals(session), decisions_by_pilot(session)
    fired = firings.by_pilot(session)
    rows = []
    for found in pilots:
        plan = {"metrics": planned.get(found.id, [])}
        answer = checked.get(found.key)
        if answer is not None:
            answer = {**answer, "q_value": q[found.key]}
        row = _row(found, plan, spent.get(found.id, 0.0), today, answer)
        row.decision = decided.get(found.id)
        row.standby = fired.get(found.id, [])
        rows.append(row)
    _add_overlaps(rows, [(found.key, found.status, found.start_date, found.end_date,
                          found.channel, found.segment)
                         for found in pilots if found.status in (Status.running, Status.paused)])
    return rows


def answers(session: Session, full: Iterable[str] = ()) -> dict[str, dict]:
    """Return every started pilot's `to_dict()` with its thresholds and its ``q_value``.

    Summaries (no look histories) except for the pilots named in ``full``.
    """
    return {row.key: row.recommendation for row in build(session, full=full)
            if row.recommendation}


def _row(found, plan: dict, spent: float, today: date,
         answer: dict | None) -> PortfolioRow:
    # A draft has no result yet: its primary is what the plan says of it.
    primary = primary_of(answer) if answer else {
        name: value for name, value in primary_of(plan).items()
        if name in ("key", "kind", "direction", *THRESHOLDS)}
    end = moved_end(found.end_date, found.paused_days)
    return PortfolioRow(
        key=found.key, title=found.title, hypothesis=found.hypothesis,
        statement=found.statement, process=found.process, channel=found.channel,
        segment=found.segment, scope=scope_of(found.channel, found.segment),
        status=found.status, owner=found.owner, iteration=found.iteration,
        start=found.start_date, end=end, budget=found.budget,
        currency=found.currency, spend=spent, days_left=(end - today).days,
        recommendation=answer, primary=primary, design=found.design, today=today)


def _add_overlaps(rows: list[PortfolioRow], running: list[tuple]) -> None:
    by_key = {row.key: row for row in rows}
    for overlap in among(running):
        for key, other in ((overlap.pilot_a, overlap.pilot_b), (overlap.pilot_b, overlap.pilot_a)):
            if key in by_key:
                by_key[key].overlaps.append(overlap.message)
                by_key[key].overlapping.append(other)


def recommendation(session: Session, pilot_key: str) -> Recommendation:
    """Return one pilot's Recommendation; raise NotFound for a draft or unknown key."""
    pilot = get_pilot(session, pilot_key)
    found = recommendations(session, [pilot_key]).get(pilot_key)
    if found is None:
        raise NotFound(f"pilot '{pilot_key}' is {pilot.status}: a pilot has no "
                       "recommendation before it starts")
    return Recommendation.from_dict(found)


def answer(session: Session, pilot_key: str) -> dict:
    """Return one pilot's entry of `answers`; raise NotFound for a draft or unknown key."""
    pilot = get_pilot(session, pilot_key)
    found = answers(session, [pilot_key]).get(pilot_key)
    if found is None:
        raise NotFound(f"pilot '{pilot_key}' is {pilot.status}: a pilot has no "
                       "recommendation before it starts")
    return found
