"""The pages' and the API's write transaction: afterwards the request's reads see it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from lab import db


@contextmanager
def writing() -> Iterator[Session]:
    """Write in one transaction; afterwards this request's reads see what was written."""
    with db.writing(db.engine()) as session:
        yield session
    # A SQLite read transaction keeps the snapshot it began with; end it, so the next
    # read in this request starts a new one that includes this write.
    db.session().rollback()
