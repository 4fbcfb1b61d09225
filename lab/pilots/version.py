"""The lab's version: a number in the database, one up with each write the portfolio shows.

A process may keep what it read of the portfolio (lab.portfolio.kept) only as long as it
can tell, from the database, that nothing it shows has changed since. Timestamps cannot
tell it: on PostgreSQL two writers commit in either order, so the newest `computed_at`
a reader finds can be older than a row committed after it. One counter row can: each
write that changes a table the portfolio reads (WATCHED) adds one to it in its own
transaction, just before it commits, so the number and the data commit together and a
reader's snapshot holds the number of exactly the data it sees. On PostgreSQL the row's
lock makes such writers commit one after the other (held from that last statement to
the commit, a millisecond); SQLite runs writers one at a time anyway.

The writers need not remember it: an `after_flush` listener notes the ORM writes to a
WATCHED table; the raw-SQL writers (the import, the stored answers) say so through
`lab.pilots.stored` (`touch`, `save`, `forget`); `lab.pilots.stored` adds the one
before each commit, after the refresh it runs (`bump`).
"""

from __future__ import annotations

import uuid
from itertools import chain

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from lab.models import (
    Channel,
    Decision,
    Hypothesis,
    LabVersion,
    Metric,
    Observation,
    Pilot,
    Segment,
    Spend,
    StandbyFiring,
    StoredRecommendation,
)

# Every table the portfolio's rows are read from (a test holds the read to this list).
WATCHED = (Pilot, Hypothesis, Channel, Segment, Metric, Spend, Decision, Observation,
           StoredRecommendation, StandbyFiring)
CHANGED = "lab.version_changed"  # session.info key: this transaction changed a WATCHED row


def changed(session: Session) -> None:
    """Note that this transaction changed what the portfolio shows (raw-SQL writers)."""
    session.info[CHANGED] = True


def current(session: Session) -> tuple[str, int] | None:
    """Return (epoch, number) as this session's snapshot sees it; None before any write."""
    found = session.execute(select(LabVersion.epoch, LabVersion.number)).first()
    return None if found is None else (found[0], found[1])


def bump(session: Session) -> None:
    """Add one to the version if this transaction changed what the portfolio shows.

    Called last before the commit (by `lab.pilots.stored`), so that on PostgreSQL the
    row's lock is held for the commit alone.
    """
    if not session.info.pop(CHANGED, False):
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = LabVersion.__table__
    statement = insert(table).values(id=1, epoch=uuid.uuid4().hex, number=1)
    session.execute(statement.on_conflict_do_update(
        index_elements=["id"], set_={"number": table.c.number + 1}))


@event.listens_for(OrmSession, "after_flush")
def _note_changes(session: OrmSession, _context) -> None:
    if any(isinstance(entry, WATCHED)
           for entry in chain(session.new, session.dirty, session.deleted)):
        session.info[CHANGED] = True
    # Never cleared on a rollback: a savepoint's rollback fires the same event while
    # the writes before it still commit. A spare bump costs a cache miss, nothing more.
