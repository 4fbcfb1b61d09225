"""Turn stored rows into the API's reply models."""

from __future__ import annotations

from sqlmodel import Session, col, select

from lab.models import ApiToken, Decision, Note, Observation, Pilot, Spend
from lab.pilots.find import next_iteration_of
from lab.pilots.reads import PilotRow
from lab.portfolio import hypothesis_state
from lab.web.schemas import (
    DecisionOut,
    HypothesisOut,
    NoteOut,
    ObservationOut,
    PilotOut,
    SpendOut,
    TokenOut,
)


def pilot_out(session: Session, row: PilotRow, spent: float,
              attainment: str | None = None) -> PilotOut:
    """Describe a pilot with its scope names, iteration links, spend and targets' standing."""
    pilot = row.pilot
    parent = session.get(Pilot, pilot.parent_id) if pilot.parent_id else None
    child = next_iteration_of(session, pilot.id)
    return PilotOut(
        key=pilot.key, title=pilot.title, hypothesis=row.hypothesis.key,
        iteration=pilot.iteration, parent=parent.key if parent else None, next=child,
        channel=row.channel, segment=row.segment, design=pilot.design,
        analysis=pilot.analysis, status=pilot.status, start=pilot.start_date,
        end=pilot.end_date, budget=pilot.budget, spend=spent, currency=pilot.currency,
        owner=pilot.owner, started_at=pilot.started_at, plan=pilot.plan,
        attainment=attainment)


def hypothesis_out(rows: list[PilotRow], hypothesis) -> HypothesisOut:
    """Describe a hypothesis with its pilots and the state they give it."""
    return HypothesisOut(
        key=hypothesis.key, statement=hypothesis.statement, process=hypothesis.process,
        expected_benefit=hypothesis.expected_benefit, sponsors=list(hypothesis.sponsors),
        owner=hypothesis.owner, pilots=[row.pilot.key for row in rows],
        state=hypothesis_state([row.pilot.status for row in rows]))


def observation_out(observation: Observation, metric: str) -> ObservationOut:
    """Describe one stored observation."""
    return ObservationOut(
        metric=metric, arm=observation.arm, phase=observation.phase,
        period=observation.period, scope=observation.scope, successes=observation.successes,
        trials=observation.trials, n=observation.n, mean=observation.mean,
        sd=observation.sd, events=observation.events, exposure=observation.exposure)


def decision_out(session: Session, pilot: Pilot, decision: Decision) -> DecisionOut:
    """Describe a decision, with the draft a revise decision created."""
    child = next_iteration_of(session, pilot.id)
    return DecisionOut(pilot=pilot.key, outcome=decision.outcome,
                       recommended=decision.recommended, rationale=decision.rationale,
                       decided_by=decision.decided_by, decided_at=decision.decided_at,
                       next=child)


def note_out(note: Note, stance: str | None = None) -> NoteOut:
    """Describe one note, with its stance on the hypothesis when a member marked it."""
    return NoteOut.model_validate({**note.model_dump(), "stance": stance})


def spend_out(spend: Spend) -> SpendOut:
    """Describe one spend entry."""
    return SpendOut.model_validate(spend, from_attributes=True)


def token_out(token: ApiToken) -> TokenOut:
    """Describe a token without its secret (which is not stored)."""
    return TokenOut.model_validate(token, from_attributes=True)


def notes_of(session: Session, pilot_id: int) -> list[Note]:
    """Return a pilot's notes, newest first."""
    return list(session.exec(select(Note).where(Note.pilot_id == pilot_id)
                             .order_by(col(Note.noted_on).desc(), col(Note.id).desc())))


def spend_of(session: Session, pilot_id: int) -> list[Spend]:
    """Return a pilot's spend entries, newest first."""
    return list(session.exec(select(Spend).where(Spend.pilot_id == pilot_id)
                             .order_by(col(Spend.spent_on).desc(), col(Spend.id).desc())))
