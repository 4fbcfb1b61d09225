"""Reads of pilots for the pages, the API and the reports: names resolved, evidence, versions.

Each raises NotFound for a key that does not exist; the web answers it with a 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Float, cast, func
from sqlmodel import Session, col, select

from lab.errors import NotFound
from lab.models import (
    Channel,
    Decision,
    Hypothesis,
    Metric,
    Note,
    Observation,
    Pilot,
    Segment,
    Spend,
    TeamMember,
)
from lab.pilots.decisions import decision_of
from lab.pilots.find import find_pilot, next_iteration_of
from lab.vocabulary import Role

ROLE_ORDER = list(Role)  # the primary first, then guardrails, then secondary metrics


@dataclass
class PilotRow:
    """A pilot with its hypothesis and the names of its scope."""

    pilot: Pilot
    hypothesis: Hypothesis
    channel: str | None
    segment: str | None

    @property
    def scope(self) -> str:
        """Describe the scope as people say it."""
        if self.channel and self.segment:
            return f"{self.channel} within {self.segment}"
        return self.channel or self.segment or ""


@dataclass
class PilotDetail(PilotRow):
    """Everything the pilot page shows besides the recommendation and charts."""

    team: list[TeamMember] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    spend: list[Spend] = field(default_factory=list)
    iterations: list[tuple[Pilot, Decision | None]] = field(default_factory=list)
    observation_count: int = 0


def _rows_query():
    return (select(Pilot, Hypothesis, Channel.name, Segment.name)
            .join(Hypothesis, col(Pilot.hypothesis_id) == Hypothesis.id)
            .outerjoin(Channel, col(Pilot.channel_id) == Channel.id)
            .outerjoin(Segment, col(Pilot.segment_id) == Segment.id))


def pilot_rows(session: Session, *, hypothesis_id: int | None = None) -> list[PilotRow]:
    """Return every pilot (or one hypothesis's) with names resolved, in key order."""
    query = _rows_query().order_by(col(Pilot.key))
    if hypothesis_id is not None:
        query = query.where(Pilot.hypothesis_id == hypothesis_id)
    return [PilotRow(*row) for row in session.exec(query).all()]


def pilot_row(session: Session, key: str) -> PilotRow:
    """Return one pilot with names resolved, or raise NotFound."""
    found = session.exec(_rows_query().where(Pilot.key == key)).first()
    if found is None:
        raise NotFound(f"no pilot '{key}'")
    return PilotRow(*found)


def spend_totals(session: Session) -> dict[int, float]:
    """Return the total spend of every pilot that has any, by pilot id."""
    rows = session.exec(select(Spend.pilot_id, func.sum(Spend.amount))
                        .group_by(col(Spend.pilot_id))).all()
    return {pilot_id: float(total or 0) for pilot_id, total in rows}


def iterations(session: Session, pilot: Pilot) -> list[tuple[Pilot, Decision | None]]:
    """Return the pilot's chain of iterations, first to last, each with its decision."""
    first = pilot
    while first.parent_id is not None:
        first = session.get(Pilot, first.parent_id)
    chain, current = [], first
    while current is not None:
        chain.append((current, decision_of(session, current.id)))
        following = next_iteration_of(session, current.id)
        current = find_pilot(session, following) if following else None
    return chain


def pilot_detail(session: Session, key: str) -> PilotDetail:
    """Return the pilot with its team, metrics, notes, spend and iterations."""
    row = pilot_row(session, key)
    pilot_id = row.pilot.id

    def of(model, order):
        return list(session.exec(select(model).where(model.pilot_id == pilot_id)
                                 .order_by(order)))

    count = session.exec(select(func.count()).select_from(Observation)
                         .where(Observation.pilot_id == pilot_id)).one()
    return PilotDetail(
        row.pilot, row.hypothesis, row.channel, row.segment,
        team=of(TeamMember, col(TeamMember.id)), metrics=_metrics(session, pilot_id),
        notes=of(Note, col(Note.noted_on).desc()), spend=of(Spend, col(Spend.spent_on).desc()),
        iterations=iterations(session, row.pilot), observation_count=count)


def _metrics(session: Session, pilot_id: int) -> list[Metric]:
    """Return a pilot's metrics: the primary first, then guardrails, then secondary."""
    metrics = session.exec(select(Metric).where(Metric.pilot_id == pilot_id)).all()
    return sorted(metrics, key=lambda metric: (ROLE_ORDER.index(metric.role), metric.id))


def observations(session: Session, pilot_id: int) -> list[tuple[Observation, str]]:
    """Return a pilot's observations with their metric keys, in a stable order."""
    query = (select(Observation, Metric.key)
             .join(Metric, col(Observation.metric_id) == Metric.id)
             .where(Observation.pilot_id == pilot_id)
             .order_by(col(Metric.key), col(Observation.phase), col(Observation.period),
                       col(Observation.arm)))
    return list(session.exec(query).all())


def data_version(session: Session, pilot_id: int | None = None) -> str:
    """Return a string that changes whenever the pilot's (or any) data or decisions do."""
    observed = select(func.max(Observation.id), func.count(Observation.id), _checksum())
    decided = select(func.count(Decision.id))
    changed = select(func.max(Pilot.updated_at), func.count(Pilot.id))
    if pilot_id is not None:
        observed = observed.where(Observation.pilot_id == pilot_id)
        decided = decided.where(Decision.pilot_id == pilot_id)
        changed = changed.where(Pilot.id == pilot_id)
    latest, count, checksum = session.exec(observed).one()
    pilots_changed, pilots = session.exec(changed).one()
    return (f"{latest}-{count}-{checksum}-{session.exec(decided).one()}-"
            f"{pilots_changed}-{pilots}")


def version_tag(session: Session, pilot_id: int | None = None) -> str:
    """Return a short tag of the data version, for URLs that change with the data."""
    return hashlib.sha256(data_version(session, pilot_id).encode()).hexdigest()[:12]


def _checksum():
    # A correction rewrites a row in place, so id and count alone would miss it.
    # Summed as doubles: an integer SUM overflows on SQLite past 2⁶³ (a few thousand
    # rows of the largest counts), a double never does within the kinds' bounds.
    weights = {"successes": 1, "trials": 3, "n": 5, "mean": 7, "sd": 11, "events": 13,
               "exposure": 17}
    terms = [func.coalesce(getattr(Observation, name), 0) * weight
             for name, weight in weights.items()]
    return func.sum(cast(sum(terms[1:], terms[0]), Float))
