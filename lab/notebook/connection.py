"""Where the lab's database is, and a connection the database itself keeps read-only."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine

from lab import config, db


def database_url(url: str | None = None) -> str:
    """Return the database URL: the one given, else LAB_DATABASE_URL, else the app's file."""
    # The same settings, and instance folder, the app factory uses; nothing is created.
    return url or config.database_url(config.load())


def read_only_engine(url: str) -> Engine:
    """Make an engine whose connections the database itself keeps read-only."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":  # psycopg 3, as lab.db does
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Keep options the URL already carries (a search_path, say) beside ours.
        options = f"{parsed.query.get('options', '')} -c default_transaction_read_only=on"
        return create_engine(parsed, pool_pre_ping=True,
                             connect_args={"options": options.strip()})
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: "
                         "lab runs on SQLite or PostgreSQL")
    path = parsed.database
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        # Opening would create an empty file: say what is wrong instead.
        raise FileNotFoundError(f"no lab database at {path}: run `lab init` or "
                                "`lab demo --no-serve` first, or pass its URL")
    engine = create_engine(parsed, connect_args={"timeout": db.BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute(f"PRAGMA busy_timeout={db.BUSY_TIMEOUT_MS}")
        cursor.close()

    return engine
