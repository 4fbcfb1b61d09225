"""The pages' and the API's way to the reads: one write transaction, and 404 for a missing key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import abort
from sqlmodel import Session

from lab import db
from lab.models import Hypothesis
from lab.pilots import reads
from lab.pilots.reads import PilotDetail, PilotRow

Found = TypeVar("Found")


@contextmanager
def writing() -> Iterator[Session]:
    """Write in one transaction; afterwards this request's reads see what was written."""
    with db.writing(db.engine()) as session:
        yield session
    # A SQLite read transaction keeps the snapshot it began with; end it, so the next
    # read in this request starts a new one that includes this write.
    db.session().rollback()


def or_404(read: Callable[..., Found], *args, **kwargs) -> Found:
    """Return what the read finds, or answer 404 with its message when the key is unknown."""
    try:
        return read(*args, **kwargs)
    except LookupError as error:
        abort(404, str(error))


def pilot_row(session: Session, key: str) -> PilotRow:
    """Return one pilot with names resolved, or answer 404."""
    return or_404(reads.pilot_row, session, key)


def pilot_detail(session: Session, key: str) -> PilotDetail:
    """Return everything the pilot page shows, or answer 404."""
    return or_404(reads.pilot_detail, session, key)


def hypothesis(session: Session, key: str) -> Hypothesis:
    """Return the hypothesis with this key, or answer 404."""
    return or_404(reads.get_hypothesis, session, key)
