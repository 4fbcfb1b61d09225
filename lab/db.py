"""Engines and sessions: the only way the app and the CLI reach the database.

SQLite is the embedded default and is set up the way a multi-user tool needs it:
WAL so readers never wait for the writer, foreign keys enforced, a busy timeout
instead of immediate "database is locked" errors, `synchronous=FULL` so a committed
row survives a power cut, and `BEGIN IMMEDIATE` for write transactions so two writers
queue up front instead of deadlocking halfway. PostgreSQL is used unchanged, except
that a write waits at most a set time for a lock. A write that cannot get its lock in
that time raises DatabaseBusy (the web answers 503), never a bare driver error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from lab.errors import DomainError

if TYPE_CHECKING:
    from sqlmodel import Session

# SQLModel's Session (and with it the ORM and pydantic) is imported by the functions
# that open one: `lab check` reads with SQLAlchemy Core and never pays for them.

BUSY_TIMEOUT_MS = 10_000
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out


class DatabaseBusy(DomainError):
    """A write waited its allowed time for the database's lock and gave up (503)."""

    status = 503
    retry_after = 5  # seconds a client should wait, when the wait is not known

    def __init__(self, waited: float):
        self.retry_after = max(1, round(waited))
        super().__init__(f"the database is busy with another write (waited {waited:g} s); "
                         "nothing was changed, try again")

    def headers(self) -> dict[str, str]:
        """Tell the client when to try again."""
        return {"Retry-After": str(self.retry_after)}


def _prepare_sqlite(engine: Engine) -> None:
    """Install the pragmas and the explicit BEGIN that SQLite needs here."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite would otherwise open transactions itself, lazily and DEFERRED;
        # we take over so writes can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        options = connection.get_execution_options()
        wait_ms = int(options.get("lab_wait", BUSY_TIMEOUT_MS / 1000) * 1000)
        connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("lab_write") else "BEGIN")


def _prepare_postgresql(engine: Engine) -> None:
    """Make a write give up waiting for a row or table lock after its allowed time."""

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        wait = connection.get_execution_options().get("lab_wait")
        if wait:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait * 1000)}ms'")


def _create_private(path: str) -> None:
    """Create an SQLite file readable by its owner only (its -wal and -shm follow it)."""
    if path and path != ":memory:" and not path.startswith("file:") and \
            not Path(path).exists():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # No O_EXCL: if another process made it in the meantime, it is opened, unchanged.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


@lru_cache(maxsize=16)
def engine_for(url: str) -> Engine:
    """Return the engine for a database URL, made once per process."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _create_private(parsed.database or "")
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _prepare_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2, which we do not ship.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, pool_pre_ping=True)
    if parsed.get_backend_name() == "postgresql":
        _prepare_postgresql(engine)
    return engine


def is_sqlite(engine: Engine) -> bool:
    """Tell whether this engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """Open a session for reads; it never commits."""
    from sqlmodel import Session

    with Session(engine) as session:
        yield session


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """Open a write transaction: BEGIN IMMEDIATE on SQLite, commit or roll back whole."""
    from sqlmodel import Session

    with Session(engine.execution_options(lab_write=True)) as session:
        try:
            yield session
            session.commit()
        except OperationalError as error:
            session.rollback()
            if _is_lock_timeout(error):
                wait = engine.get_execution_options().get("lab_wait", BUSY_TIMEOUT_MS / 1000)
                raise DatabaseBusy(wait) from error
            raise
        except BaseException:
            session.rollback()
            raise


def _is_lock_timeout(error: OperationalError) -> bool:
    """Tell whether a driver error means the lock could not be had in time."""
    original = error.orig
    if getattr(original, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return True
    return getattr(original, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


def init_app(app: Flask) -> None:
    """Give the app its engine (writes wait LOCK_WAIT_SECONDS for a lock) and teardown."""
    engine = engine_for(app.config["DATABASE_URL"])
    app.extensions["lab.engine"] = engine.execution_options(
        lab_wait=app.config["LOCK_WAIT_SECONDS"])
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["lab.engine"]


def session() -> Session:
    """Return this request's session for reads, opened on first use.

    Views write through `writing(engine())` instead, so that on SQLite a write takes
    its lock up front and cannot fail halfway when a read lock would need upgrading.
    """
    if "lab_session" not in g:
        from sqlmodel import Session

        g.lab_session = Session(engine())
    return g.lab_session


def _close_session(_error: BaseException | None) -> None:
    found = g.pop("lab_session", None)
    if found is not None:
        found.close()
