"""Finding pilots: by key, and the iteration that follows one. The one home of these reads."""

from __future__ import annotations

from sqlmodel import Session, select

from lab.models import Pilot


def find_pilot(session: Session, key: str) -> Pilot | None:
    """Return the pilot with this key, or None."""
    return session.exec(select(Pilot).where(Pilot.key == key)).first()


def get_pilot(session: Session, key: str) -> Pilot:
    """Return the pilot with this key, or raise LookupError."""
    pilot = find_pilot(session, key)
    if pilot is None:
        raise LookupError(f"no pilot '{key}'")
    return pilot


def next_iteration_of(session: Session, pilot_id: int) -> str | None:
    """Return the key of the iteration that follows this pilot, if one exists."""
    return session.exec(select(Pilot.key).where(Pilot.parent_id == pilot_id)).first()
