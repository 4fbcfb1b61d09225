"""The portfolio's rows: every pilot's plan, recommendation, spend, decision and overlaps.

The recommendations are the stored ones (`lab.portfolio.stored`): every write that
changes a pilot's inputs refreshed its answer before it committed, so a read only
decodes them. What depends on today (days left, overdue, burn rate) is worked out
here from the stored answer and the date of the read; the answers themselves depend
on the data alone (a final look is reached by a logged period, not by the calendar).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
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
from lab.pilots.reads import portfolio_pilots, scope_of, spend_totals
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


@dataclass(slots=True)
class PortfolioRow:
    """One pilot as management sees it: plan, standing, spend, overlaps.

    Built once and then only read (`lab.portfolio.kept` shares the rows between
    requests), so what the page sorts and counts by is worked out once per row, when
    it is made. Slots, not a dict a row, and the recommendation kept as its `Summary`
    (`lab.portfolio.decoded`): a portfolio of thirty thousand pilots is held in a few
    hundred bytes a pilot beside its own words. `recommendation` decodes the whole
    answer afresh, where one is shown.
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
    summary: decoded.Summary | None = None  # the stored answer; None: a draft
    q_value: float | None = None  # the primary's q-value across the portfolio (`q_values`)
    primary: dict[str, Any] = field(default_factory=dict)
    # Tuples, not lists: most rows have none, and the empty tuple is one for all rows.
    overlaps: tuple[str, ...] = ()
    overlapping: tuple[str, ...] = ()  # the other pilots' keys
    decision: dict[str, Any] | None = None  # outcome, decided_by, decided_at, rationale
    design: str = Design.holdout.value
    today: date = field(default_factory=date.today)
    standby: Sequence[dict[str, Any]] = ()  # its fired rules
    # Worked out from the fields above when the row is made (see `__post_init__`).
    evidence: str = field(init=False)  # randomized, comparison, before-after
    guardrails: str = field(init=False)  # safe, harmed, unclear, or none
    attainment: str | None = field(init=False)  # meets, misses, unclear (None: no target)
    overdue: int | None = field(init=False)  # the days a decision is overdue (0: due now)
    effect_ratio: float | None = field(init=False)  # the primary effect ÷ its minimum

    def __post_init__(self) -> None:
        found = self.summary
        self.evidence = standing.evidence_of(
            {"evidence": found.evidence} if found else None, self.design)
        self.guardrails = found.guardrails if found else standing.guardrails_status([])
        self.attainment = found.attainment if found else None
        self.overdue = standing.overdue_days(self.status, self.outcome,
                                             bool(found and found.final), self.end,
                                             self.today)
        estimate = self.primary.get("estimate")
        self.effect_ratio = (None if estimate is None or not self.minimum_effect
                             else estimate / self.minimum_effect)

    @property
    def rank(self) -> tuple:
        """Order for 'best first': strongest evidence first, then effect ÷ minimum."""
        ratio = self.effect_ratio
        return (standing.EVIDENCE_RANK.get(self.evidence, 9),
                -(ratio if ratio is not None and math.isfinite(ratio) else -math.inf))

    @property
    def recommendation(self) -> dict[str, Any] | None:
        """Return the stored answer with its thresholds and ``q_value`` (None: a draft).

        Decoded afresh on each call: a new dict, which the caller may keep.
        """
        if self.summary is None:
            return None
        return {**self.summary.answer(), "q_value": self.q_value}

    @property
    def checked(self) -> bool:
        """Tell whether the pilot has a recommendation (a draft has none)."""
        return self.summary is not None

    @property
    def final(self) -> bool:
        """Tell whether the recommendation is the final look's."""
        return bool(self.summary and self.summary.final)

    @property
    def targets(self) -> list[dict]:
        """Return each service-level target with the pilot arm's level and attainment."""
        return list(self.summary.targets) if self.summary else []

    @property
    def proposes_withdrawal(self) -> bool:
        """Tell whether a fired stand-by rule asks the managers to withdraw the pilot."""
        return firings.proposes_withdrawal(self.standby)

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
    def outcome(self) -> str | None:
        """Return the recommended outcome, or None for a draft."""
        return self.summary.outcome if self.summary else None

    @property
    def reasons(self) -> list[str]:
        """Return the reasons of the recommendation (none for a draft)."""
        return list(self.summary.reasons) if self.summary else []

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
    planned = decoded.plans(session)
    ids = {found.key: found.id for found in pilots}

    def dressed(documents: dict[str, dict]) -> dict[str, decoded.Summary]:
        # What did not come through `decoded` gets its plan's thresholds here, as
        # `decoded.summaries` gives them to the rest.
        plans = {key: planned.get(ids.get(key), ()) for key in documents}
        return {key: decoded.summary(with_thresholds(document, decoded.plan_of(plans[key])),
                                     plans[key])
                for key, document in documents.items()}
    checked = decoded.summaries(session, planned)
    missing = [found.key for found in pilots
               if found.status != Status.draft and found.key not in checked]
    if missing:  # a database just upgraded: computed once, and stored
        checked.update(dressed({key: stored.summary_of(document)
                                for key, document in fill(session, missing).items()}))
    if full:
        checked.update(dressed(recommendations(session, full)))
    q = q_values({key: {"metrics": [checked[key].primary]} for key in sorted(checked)})
    spent, decided = spend_totals(session), decisions_by_pilot(session)
    fired = firings.by_pilot(session)
    shared: dict = {}  # one object for each word and day the rows repeat
    rows = []
    for found in pilots:
        row = _row(found, planned.get(found.id, ()), spent.get(found.id, 0.0), today,
                   checked.get(found.key), q.get(found.key), shared)
        row.decision = decided.get(found.id)
        row.standby = fired.get(found.id, ())
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
            if row.checked}


def _row(found, planned: decoded.Plan, spent: float, today: date,
         answer: decoded.Summary | None, q_value: float | None, shared: dict) -> PortfolioRow:
    # A draft has no result yet: its primary is what the plan says of it.
    primary = answer.primary if answer else {
        name: value for name, value in primary_of(decoded.plan_of(planned)).items()
        if name in ("key", "kind", "direction", *THRESHOLDS)}
    # What many pilots repeat (a hypothesis, a process, an owner, a day) is held once
    # for all the rows that repeat it.
    def one(value):
        return shared.setdefault(value, value)
    end = moved_end(found.end_date, found.paused_days)
    return PortfolioRow(
        key=found.key, title=found.title, hypothesis=one(found.hypothesis),
        statement=one(found.statement), process=one(found.process),
        channel=one(found.channel), segment=one(found.segment),
        scope=one(scope_of(found.channel, found.segment)), status=one(found.status),
        owner=one(found.owner), iteration=found.iteration, start=one(found.start_date),
        end=one(end), budget=found.budget, currency=one(found.currency), spend=spent,
        days_left=(end - today).days, summary=answer, q_value=q_value, primary=primary,
        design=one(found.design), today=today)


def _add_overlaps(rows: list[PortfolioRow], running: list[tuple]) -> None:
    by_key = {row.key: row for row in rows}
    found: dict[str, tuple[list[str], list[str]]] = {}
    for overlap in among(running):
        for key, other in ((overlap.pilot_a, overlap.pilot_b), (overlap.pilot_b, overlap.pilot_a)):
            if key in by_key:
                messages, others = found.setdefault(key, ([], []))
                messages.append(overlap.message)
                others.append(other)
    for key, (messages, others) in found.items():
        by_key[key].overlaps, by_key[key].overlapping = tuple(messages), tuple(others)


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
