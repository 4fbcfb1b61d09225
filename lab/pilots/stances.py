"""Marking notes as supporting or contradicting their pilot's hypothesis.

The learning card lists the marked notes beside what was observed, so the qualitative
evidence for and against is read with the numbers. Members mark; a mark can change or
be removed (stance None), and every change is audited.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from lab.errors import Invalid, NotFound
from lab.models import Note, NoteStance, Pilot
from lab.models.base import utcnow
from lab.pilots import audit
from lab.vocabulary import Stance, values

STANCES = values(Stance)


def mark(session: Session, *, note_id: int, stance: str | None, actor: str) -> Note:
    """Mark the note (supports, contradicts), or unmark it with None; audited."""
    if stance is not None and stance not in STANCES:
        reason = f"must be one of {', '.join(STANCES)}, or empty to unmark"
        raise Invalid(f"stance: {reason}", [("stance", reason)])
    note = session.get(Note, note_id)
    if note is None:
        raise NotFound(f"no note {note_id}")
    row = session.exec(select(NoteStance).where(NoteStance.note_id == note_id)).first()
    before = row.stance if row else None
    if stance is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(NoteStance(note_id=note_id, stance=stance, marked_by=actor))
    else:
        row.stance, row.marked_by, row.marked_at = stance, actor, utcnow()
        session.add(row)
    session.flush()
    pilot = session.get(Pilot, note.pilot_id)
    audit.record(session, actor=actor, action="note.stance", object_type="pilot",
                 object_key=pilot.key, before={"note": note_id, "stance": before},
                 after={"note": note_id, "stance": stance})
    return note


def of_pilot(session: Session, pilot_id: int) -> dict[int, str]:
    """Return the stance of each marked note of the pilot, by note id."""
    rows = session.exec(select(NoteStance.note_id, NoteStance.stance).join(Note)
                        .where(Note.pilot_id == pilot_id))
    return dict(rows.all())


def marked_notes(session: Session, pilot_id: int) -> dict[str, list[Note]]:
    """Return the pilot's marked notes by stance, newest first: what the card lists."""
    found: dict[str, list[Note]] = {stance: [] for stance in STANCES}
    rows = session.exec(select(Note, NoteStance.stance).join(NoteStance)
                        .where(Note.pilot_id == pilot_id)
                        .order_by(col(Note.noted_on).desc(), col(Note.id).desc()))
    for note, stance in rows:
        found[stance].append(note)
    return found
