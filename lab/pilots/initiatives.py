"""Social-CRM initiatives running elsewhere in the company: registered, checked, adopted.

The lab is not the only place the company tries things on its channels. Registering
those initiatives lets the coverage map show where nobody tests yet, warns when one
shares a pilot's channel or segment while both run (the pilot's customers see both), and
lets the lab adopt one as a hypothesis on its backlog, prefilled from what was recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import StringConstraints, ValidationError, model_validator
from sqlmodel import Session, col, select

from lab.errors import Conflict, NotFound
from lab.models import Channel, Initiative, Pilot, Segment
from lab.models.base import utcnow
from lab.pilots import audit, backlog
from lab.pilots.find import find_hypothesis
from lab.pilots.plans import Key, PreregistrationError
from lab.pilots.validation import Strict, describe_errors
from lab.vocabulary import Function, InitiativeStatus, Process

Scope = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1,
                                         max_length=80)]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
FIELDS = ("name", "function", "channel", "segment", "process", "start_date", "end_date",
          "status", "measures", "contact")


class InitiativeSpec(Strict):
    """An initiative as registered: at least a channel or a segment, dates in order."""

    key: Key
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=200)]
    function: Function
    channel: Scope | None = None
    segment: Scope | None = None
    process: Process
    start_date: date
    end_date: date | None = None
    status: InitiativeStatus = InitiativeStatus.running
    measures: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    contact: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                              max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]

    @model_validator(mode="after")
    def _scope_and_dates(self) -> InitiativeSpec:
        if self.channel is None and self.segment is None:
            raise ValueError("name a channel or a segment (or both)")
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


def _valid(data: InitiativeSpec | dict) -> InitiativeSpec:
    if isinstance(data, InitiativeSpec):
        return data
    try:
        return InitiativeSpec.model_validate(data)
    except ValidationError as error:
        raise PreregistrationError("initiative", describe_errors(error, data)) from None


def register(session: Session, *, spec: InitiativeSpec | dict, actor: str) -> Initiative:
    """Create the initiative, or update the one with this key; audited."""
    spec = _valid(spec)
    values = spec.model_dump(mode="json", exclude={"key"})
    values["start_date"], values["end_date"] = spec.start_date, spec.end_date
    row = find(session, spec.key)
    before = _values(row) if row else None
    if row is None:
        row = Initiative(key=spec.key, recorded_by=actor, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.recorded_by, row.updated_at = actor, utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="update" if before else "create",
                 object_type="initiative", object_key=row.key, before=before,
                 after=_values(row))
    return row


def _values(row: Initiative) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def find(session: Session, key: str) -> Initiative | None:
    return session.exec(select(Initiative).where(Initiative.key == key)).first()


def get(session: Session, key: str) -> Initiative:
    found = find(session, key)
    if found is None:
        raise NotFound(f"no initiative '{key}'")
    return found


def listed(session: Session) -> list[Initiative]:
    """Return every initiative, the running ones first, then by start."""
    order = {"running": 0, "planned": 1, "ended": 2}
    rows = session.exec(select(Initiative).order_by(col(Initiative.start_date),
                                                    col(Initiative.key)))
    return sorted(rows, key=lambda row: order.get(row.status, 3))


@dataclass(frozen=True)
class Clash:
    """An initiative sharing a pilot's scope while both run."""

    initiative: str
    pilot: str
    scope: str
    start: date
    end: date

    @property
    def message(self) -> str:
        return (f"initiative {self.initiative} (outside the lab) overlaps pilot {self.pilot} "
                f"on {self.scope} from {self.start} to {self.end}: its customers see both")


def clashes(session: Session) -> list[Clash]:
    """Return each initiative not ended that shares a running or draft pilot's scope."""
    pilots = session.exec(
        select(Pilot, Channel.name, Segment.name)
        .outerjoin(Channel, col(Pilot.channel_id) == Channel.id)
        .outerjoin(Segment, col(Pilot.segment_id) == Segment.id)
        .where(col(Pilot.status).in_(["running", "paused", "draft"]))).all()
    found = []
    for initiative in session.exec(select(Initiative).where(Initiative.status != "ended")):
        for pilot, channel, segment in pilots:
            scopes = [f"{name} '{value}'" for name, value, mine in
                      (("channel", channel, initiative.channel),
                       ("segment", segment, initiative.segment))
                      if value is not None and value == mine]
            start = max(pilot.start_date, initiative.start_date)
            end = min(pilot.end_date, initiative.end_date or pilot.end_date)
            if scopes and start <= end:
                found.append(Clash(initiative.key, pilot.key, " and ".join(scopes),
                                   start, end))
    return sorted(found, key=lambda clash: (clash.pilot, clash.initiative))


def adopt(session: Session, *, key: str, actor: str) -> str:
    """Put the initiative on the backlog as a hypothesis, prefilled; return its key."""
    initiative = get(session, key)
    if initiative.adopted_as:
        raise Conflict(f"initiative '{key}' was already adopted as hypothesis "
                       f"'{initiative.adopted_as}'")
    hypothesis_key = key if find_hypothesis(session, key) is None else f"{key}-lab"[:80]
    measured = f" (they measure: {initiative.measures})" if initiative.measures else ""
    # The adopter owns it; from the command line (an OS user, no email), the contact does.
    owner = actor if EMAIL.match(actor or "") else initiative.contact
    backlog.add(session, actor=actor, entry={
        "hypothesis": {
            "key": hypothesis_key, "process": initiative.process,
            "statement": f"{initiative.name}, tested by the lab, improves its customers' "
                         f"outcomes{measured}",
            "expected_benefit": initiative.measures or "to be quantified",
            "sponsors": [initiative.function], "owner": owner},
        "function": initiative.function})
    initiative.adopted_as, initiative.updated_at = hypothesis_key, utcnow()
    session.add(initiative)
    session.flush()
    audit.record(session, actor=actor, action="adopt", object_type="initiative",
                 object_key=key, after={"hypothesis": hypothesis_key})
    return hypothesis_key

