"""Finding pilots and hypotheses by key, and the iteration that follows a pilot.

The one home of these reads: every module that looks a pilot up goes through here.
"""

from __future__ import annotations

from sqlmodel import Session, select

from lab.errors import NotFound
from lab.models import Hypothesis, Pilot
from lab.pilots.answers import known_keys


def find_pilot(session: Session, key: str) -> Pilot | None:
    """Return the pilot with this key, or None."""
    return session.exec(select(Pilot).where(Pilot.key == key)).first()


def get_pilot(session: Session, key: str) -> Pilot:
    """Return the pilot with this key, or raise NotFound."""
    pilot = find_pilot(session, key)
    if pilot is None:
        raise NotFound(f"no pilot '{key}'")
    return pilot


def find_hypothesis(session: Session, key: str) -> Hypothesis | None:
    """Return the hypothesis with this key, or None."""
    return session.exec(select(Hypothesis).where(Hypothesis.key == key)).first()


def get_hypothesis(session: Session, key: str) -> Hypothesis:
    """Return the hypothesis with this key, or raise NotFound."""
    hypothesis = find_hypothesis(session, key)
    if hypothesis is None:
        raise NotFound(f"no hypothesis '{key}'")
    return hypothesis


def next_iteration_of(session: Session, pilot_id: int) -> str | None:
    """Return the key of the iteration that follows this pilot, if one exists."""
    return session.exec(select(Pilot.key).where(Pilot.parent_id == pilot_id)).first()


def pilot_keys_known(session: Session, keys: list[str]) -> set[str]:
    """Return which of these keys name a pilot."""
    return known_keys(session, keys)
