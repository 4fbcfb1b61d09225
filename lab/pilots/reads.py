"""Reads of pilots for the pages, the API and the reports: names resolved, evidence, versions.

Each raises NotFound for a key that does not exist; the web answers it with a 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Float, Numeric, String, cast, func
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
    StoredRecommendation,
    TeamMember,
)
from lab.pilots import version
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
        return scope_of(self.channel, self.segment)


def scope_of(channel: str | None, segment: str | None) -> str:
    """Describe a channel and segment scope as people say it."""
    if channel and segment:
        return f"{channel} within {segment}"
    return channel or segment or ""


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


def portfolio_pilots(session: Session) -> list:
    """Return every pilot's columns the portfolio shows, with names resolved, in key order.

    Plain rows (``.key``, ``.hypothesis``, ``.channel``…) from the connection, not
    entities: a pilot entity decodes its whole plan, and a thousand of them cost more
    than the rest of the read.
    """
    query = (select(Pilot.id, Pilot.key, Pilot.title, Pilot.status, Pilot.owner,
                    Pilot.iteration, Pilot.start_date, Pilot.end_date, Pilot.budget,
                    Pilot.currency, Pilot.design, Pilot.paused_days,
                    Hypothesis.key.label("hypothesis"),
                    Hypothesis.statement, Hypothesis.process,
                    Channel.name.label("channel"), Segment.name.label("segment"))
             .join(Hypothesis, col(Pilot.hypothesis_id) == Hypothesis.id)
             .outerjoin(Channel, col(Pilot.channel_id) == Channel.id)
             .outerjoin(Segment, col(Pilot.segment_id) == Segment.id)
             .order_by(col(Pilot.key)))
    return list(session.connection().execute(query))


PLANNED = ("key", "role", "kind", "direction", "minimum_effect", "margin", "label")


def planned_metrics(session: Session) -> dict[int, list[dict]]:
    """Return each pilot's metrics as its plan states them (PLANNED), by pilot id.

    The metric rows are written from the plan (`registry`), so this is the plan's
    ``metrics`` without decoding a thousand plans.
    """
    found: dict[int, list[dict]] = {}
    for pilot_id, *values in planned_columns(session):
        found.setdefault(pilot_id, []).append(dict(zip(PLANNED, values, strict=True)))
    return found


def planned_columns(session: Session):
    """Return every pilot's metrics as rows (pilot id, then the PLANNED columns), in order.

    What `planned_metrics` reads, for a reader that keeps them in another shape (the
    portfolio keeps tuples: `lab.portfolio.decoded.plans`).
    """
    columns = [getattr(Metric, name) for name in PLANNED]
    return session.connection().execute(select(Metric.pilot_id, *columns)
                                        .order_by(col(Metric.id)))


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
    """Return a string that changes whenever the pilot's (or any) data or decisions do.

    For one pilot it reads that pilot's rows. For the whole lab it is the lab's version
    (`lab.pilots.version`), one up with every write the portfolio shows; a database no
    write has reached since its upgrade has none yet, and then the stored answers'
    newest `computed_at` and the counts stand in.
    """
    if pilot_id is None:
        found = version.current(session)
        if found is not None:
            return f"{found[0]}-{found[1]}"
        kept = session.exec(select(func.max(StoredRecommendation.computed_at),
                                   func.count(col(StoredRecommendation.pilot_id)))).one()
        decided = session.exec(select(func.count(Decision.id))).one()
        pilots_changed, pilots = session.exec(select(func.max(Pilot.updated_at),
                                                     func.count(Pilot.id))).one()
        return f"{kept[0]}-{kept[1]}-{decided}-{pilots_changed}-{pilots}"
    return data_versions(session, [pilot_id]).get(pilot_id, "None-0-None-0-None-0")


def data_versions(session: Session, pilot_ids: list[int]) -> dict[int, str]:
    """Return `data_version` of each of these pilots, in three grouped queries."""
    ids = list(pilot_ids)
    observed = {row[0]: row[1:] for row in session.exec(
        select(Observation.pilot_id, func.max(Observation.id), func.count(Observation.id),
               _checksum(session.get_bind().dialect.name)).where(col(Observation.pilot_id).in_(ids))
        .group_by(col(Observation.pilot_id))).all()}
    decided = dict(session.exec(select(Decision.pilot_id, func.count(Decision.id))
                                .where(col(Decision.pilot_id).in_(ids))
                                .group_by(col(Decision.pilot_id))).all())
    changed = dict(session.exec(select(Pilot.id, Pilot.updated_at)
                                .where(col(Pilot.id).in_(ids))).all())
    return {pilot_id: "{}-{}-{}-{}-{}-{}".format(
        *observed.get(pilot_id, (None, 0, None)), decided.get(pilot_id, 0),
        changed[pilot_id], 1) for pilot_id in ids if pilot_id in changed}


def version_tag(session: Session, pilot_id: int | None = None) -> str:
    """Return a short tag of the data version, for URLs that change with the data."""
    return hashlib.sha256(data_version(session, pilot_id).encode()).hexdigest()[:12]


def _checksum(dialect: str):
    # A correction rewrites a row in place, so id and count alone would miss it.
    weights = {"successes": 1, "trials": 3, "n": 5, "mean": 7, "sd": 11, "events": 13,
               "exposure": 17}
    if dialect == "postgresql":
        # Exact decimals: a float sum depends on the order the rows are met in, which
        # PostgreSQL does not fix; NUMERIC never overflows.
        terms = [cast(func.coalesce(getattr(Observation, name), 0), Numeric) * weight
                 for name, weight in weights.items()]
        return func.sum(sum(terms[1:], terms[0]), type_=String)
    # SQLite: doubles, since an integer SUM overflows past 2⁶³ (a few thousand rows of the
    # largest counts) and a double never does within the kinds' bounds; SQLite meets the
    # rows in the pilot index's order, so the float sum is the same every time.
    terms = [cast(func.coalesce(getattr(Observation, name), 0), Float) * weight
             for name, weight in weights.items()]
    return func.sum(sum(terms[1:], terms[0]), type_=String)
