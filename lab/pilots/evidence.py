"""Spend against a pilot's budget and qualitative notes: evidence beside the numbers."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from lab.errors import Invalid
from lab.models import Note, Spend
from lab.pilots import audit
from lab.pilots.find import get_pilot
from lab.vocabulary import NoteKind, values

NOTE_KINDS = values(NoteKind)


class EvidenceError(Invalid):
    """A note or spend entry that cannot be recorded; str() says why."""


def add_note(session: Session, *, pilot_key: str, kind: str, noted_on: date, source: str,
             text: str, actor: str) -> Note:
    """Attach a dated, attributed note (customer voice, frontline voice, risk...)."""
    pilot = get_pilot(session, pilot_key)
    if kind not in NOTE_KINDS:
        raise EvidenceError(f"unknown note kind '{kind}' (one of {', '.join(NOTE_KINDS)})")
    _require_date(noted_on, "noted_on")
    source, text = _required(source, "source", 200), _required(text, "text", 20_000)
    note = Note(pilot_id=pilot.id, kind=kind, noted_on=noted_on, source=source, text=text,
                recorded_by=actor)
    session.add(note)
    session.flush()
    audit.record(session, actor=actor, action="add_note", object_type="pilot",
                 object_key=pilot.key, after={"note": note.id, "kind": kind,
                                              "noted_on": noted_on, "source": source})
    return note


def add_spend(session: Session, *, pilot_key: str, spent_on: date, amount: float,
              description: str, actor: str) -> Spend:
    """Record a dated cost against the pilot's budget."""
    pilot = get_pilot(session, pilot_key)
    _require_date(spent_on, "spent_on")
    if isinstance(amount, bool) or not isinstance(amount, int | float) \
            or not math.isfinite(amount) or amount < 0:
        raise EvidenceError(f"amount must be a finite number, 0 or more (got {amount!r})")
    description = _required(description, "description", 500)
    spend = Spend(pilot_id=pilot.id, spent_on=spent_on, amount=float(amount),
                  description=description, recorded_by=actor)
    session.add(spend)
    session.flush()
    audit.record(session, actor=actor, action="add_spend", object_type="pilot",
                 object_key=pilot.key, after={"spend": spend.id, "spent_on": spent_on,
                                              "amount": spend.amount,
                                              "description": description})
    return spend


def spend_total(session: Session, pilot_id: int) -> float:
    """Return the pilot's total spend so far (0 when nothing is recorded)."""
    total = session.exec(select(func.sum(Spend.amount)).where(Spend.pilot_id == pilot_id)).one()
    return float(total or 0)


def _required(value: str, name: str, limit: int) -> str:
    """Return the text stripped, refusing it when empty or too long."""
    value = (value or "").strip()
    if not value:
        raise EvidenceError(f"{name} is required")
    if len(value) > limit:
        raise EvidenceError(f"{name} is too long ({len(value)} characters, at most {limit})")
    return value


def _require_date(value: date, name: str) -> None:
    """Refuse anything but a date (a datetime or text would be stored ambiguously)."""
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise EvidenceError(f"{name} must be a date, not {value!r}")
