"""Engines and sessions: the only way the app and the CLI reach the database.

SQLite is the embedded default and is set up the way a multi-user tool needs it:
WAL so readers never wait for the writer, foreign keys enforced, a busy timeout
instead of immediate "database is locked" errors, `synchronous=FULL` so a committed
row survives a power cut, and `BEGIN IMMEDIATE` for write transactions so two writers
queue up front instead of deadlocking halfway. PostgreSQL is used unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

BUSY_TIMEOUT_MS = 10_000


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
        immediate = connection.get_execution_options().get("lab_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@lru_cache(maxsize=16)
def engine_for(url: str) -> Engine:
    """Return the engine for a database URL, made once per process."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _prepare_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2, which we do not ship.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    """Tell whether this engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """Open a session for reads; it never commits."""
    with Session(engine) as session:
        yield session


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """Open a write transaction: BEGIN IMMEDIATE on SQLite, commit or roll back whole."""
    with Session(engine.execution_options(lab_write=True)) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def init_app(app: Flask) -> None:
    """Give the app its engine and close the request's session at teardown."""
    app.extensions["lab.engine"] = engine_for(app.config["DATABASE_URL"])
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
        g.lab_session = Session(engine())
    return g.lab_session


def _close_session(_error: BaseException | None) -> None:
    found = g.pop("lab_session", None)
    if found is not None:
        found.close()
