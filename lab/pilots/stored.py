"""Stored recommendations: which pilots a write changed, and the answers kept for them.

Every read of a recommendation reads `stored_recommendation`; nothing recomputes on a
read. Keeping it right is the writers' job, and no writer has to remember it:

- The ORM writes (plans, start, stop, decisions, corrections by form) are seen by an
  `after_flush` listener, which notes the pilots whose rows changed in the session.
  The raw-SQL import path says so itself (`touch`).
- Before the transaction commits, the refresher the portfolio layer installed
  (`lab.portfolio.stored`; it needs the analysis, which sits above this layer)
  recomputes those pilots inside the same transaction. The answer and the data it was
  computed from commit together, or neither does: a reader never sees one without the
  other. Where no refresher is installed (a script using this layer alone) the pilots'
  stored answers are deleted instead, and the first read computes them.

Two writers of one pilot: on SQLite writes queue up front (BEGIN IMMEDIATE). On
PostgreSQL each refresh first takes a transaction-level advisory lock per pilot, in id
order; READ COMMITTED gives the statements after the wait a fresh snapshot, so the
last writer to refresh sees every earlier writer's committed rows and its answer,
written last, is the right one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain

import orjson
from sqlalchemy import delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from lab.models import Decision, Metric, Observation, Pilot, StoredRecommendation
from lab.models.base import utcnow
from lab.pilots import version
from lab.pilots.answers import documents, known_keys, missing  # noqa: F401 (re-exported)

TOUCHED = "lab.touched"  # session.info key: ids of the pilots this transaction changed
# session.info key: summary rows a writer holds already (an import's, summaries.Taken),
# which the refresh before the commit takes instead of reading them back.
GIVEN = "lab.given"
LOCK_SPACE = 7013  # the advisory-lock namespace of stored recommendations (PostgreSQL)

Refresher = Callable[[Session, list[int]], object]
_refresher: list[Refresher] = []  # at most one: the portfolio layer's


def install(refresher: Refresher) -> None:
    """Make `refresher(session, pilot_ids)` the one run before each commit that needs it."""
    _refresher[:] = [refresher]


def touch(session: Session, pilot_ids: Iterable[int]) -> None:
    """Note that this transaction changed these pilots' inputs (raw-SQL writers call it)."""
    session.info.setdefault(TOUCHED, set()).update(i for i in pilot_ids if i is not None)
    # A write after the one that gave summary rows may have changed them: read them all.
    session.info.pop(GIVEN, None)
    version.changed(session)


def give(session: Session, summaries: object) -> None:
    """Hand this transaction's refresh the summary rows of the pilots just written (an
    import's `summaries.Taken`), valid until the next write touches anything."""
    session.info[GIVEN] = summaries


def given(session: Session) -> object | None:
    """Return the summary rows given by `give`, if still valid."""
    return session.info.get(GIVEN)


def lock(session: Session, pilot_ids: list[int]) -> None:
    """Wait until no other transaction is refreshing these pilots (PostgreSQL only).

    SQLite needs nothing: its writers already run one at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for pilot_id in sorted(set(pilot_ids)):  # one order for all: no deadlock
        session.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE, pilot_id)))


def save(session: Session, answers: dict[int, tuple[str, str, str, str]]) -> None:
    """Store (outcome, text, summary, inputs) for each pilot id, replacing what was there.

    The text and the summary are the answer's JSON as `encode` gives them.
    """
    if not answers:
        return
    now = utcnow()
    rows = [{"pilot_id": pilot_id, "outcome": outcome, "inputs": inputs, "computed_at": now,
             "document": text, "summary": summary}
            for pilot_id, (outcome, text, summary, inputs) in answers.items()]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(StoredRecommendation.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["pilot_id"],
        set_={name: statement.excluded[name]
              for name in ("outcome", "document", "summary", "inputs", "computed_at")})
    session.execute(statement, rows)
    version.changed(session)


HISTORIES = ("looks", "metric_looks")  # what a summary leaves out


def summary_of(document: dict) -> dict:
    """Return the answer without its look-by-look histories (the portfolio's rows' part)."""
    return {name: value for name, value in document.items() if name not in HISTORIES}


_NUMPY = orjson.OPT_SERIALIZE_NUMPY  # a numpy scalar left in an answer encodes as its value


def encode(document: dict) -> tuple[str, str]:
    """Return the JSON of the document and of its summary, encoding each value once.

    orjson, not `json`: encoding a thousand answers' look histories was a sixth of a full
    refresh. The text is only ever decoded (a read, `lab check --json` prints it as
    JSON), and decodes to what `json.dumps` would give: orjson differs in spelling
    only (1e-05 is 1e-5, non-ASCII is UTF-8). A non-finite float would be written null
    where `json` refuses it; `to_dict()` has none (`finite_or_none`), and the tests that
    compare a stored answer with a fresh one would see a NaN turned to None.
    """
    members = {name: orjson.dumps(name) + b":" + orjson.dumps(value, option=_NUMPY)
               for name, value in document.items()}
    summary = (member for name, member in members.items() if name not in HISTORIES)
    return ((b"{" + b",".join(members.values()) + b"}").decode(),
            (b"{" + b",".join(summary) + b"}").decode())


def forget(session: Session, pilot_ids: Iterable[int]) -> None:
    """Delete these pilots' stored answers (the next read computes them)."""
    ids = list(pilot_ids)
    if ids:
        session.execute(delete(StoredRecommendation)
                        .where(col(StoredRecommendation.pilot_id).in_(ids)))
        version.changed(session)


def inputs_of(session: Session) -> dict[int, str]:
    """Return the `inputs` each stored answer was computed from, by pilot id."""
    return dict(session.execute(select(StoredRecommendation.pilot_id,
                                       StoredRecommendation.inputs)).all())


def _changed_pilots(session: OrmSession) -> set[int]:
    """Return the pilots whose plan, status, metrics, observations or decision changed."""
    found = set()
    for entry in chain(session.new, session.dirty, session.deleted):
        if isinstance(entry, Pilot):
            found.add(entry.id)
        elif isinstance(entry, Observation | Metric | Decision):
            found.add(entry.pilot_id)
    return found


@event.listens_for(OrmSession, "after_flush")
def _note_changes(session: OrmSession, _context) -> None:
    changed = _changed_pilots(session)
    if changed:
        touch(session, changed)


@event.listens_for(OrmSession, "before_commit")
def _refresh_before_commit(session: OrmSession) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # so the listener above has seen every change
    while touched := session.info.pop(TOUCHED, None):
        if _refresher:
            _refresher[0](session, sorted(touched))
        else:
            forget(session, touched)
        session.flush()
    session.info.pop(GIVEN, None)
    version.bump(session)  # last: on PostgreSQL its row lock is held to the commit only


@event.listens_for(OrmSession, "after_rollback")
def _drop_changes(session: OrmSession) -> None:
    session.info.pop(TOUCHED, None)
    session.info.pop(GIVEN, None)
