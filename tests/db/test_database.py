"""lab.db: SQLite set up for several users; PostgreSQL through psycopg 3."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import select

from lab import db
from lab.models import Channel


def test_sqlite_pragmas_read_back(sqlite_engine):
    engine = sqlite_engine
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == db.BUSY_TIMEOUT_MS
        assert pragma("synchronous") == 2  # FULL


def test_writing_begins_immediate_and_commits(engine):
    with db.writing(engine) as session:
        session.add(Channel(name="x"))
    with db.reading(engine) as session:
        assert len(session.exec(select(Channel)).all()) == 1


def test_writing_rolls_back_on_error(engine):
    with pytest.raises(RuntimeError), db.writing(engine) as session:
        session.add(Channel(name="x"))
        session.flush()
        raise RuntimeError("refused")
    with db.reading(engine) as session:
        assert session.exec(select(Channel)).all() == []


def test_second_writer_waits_for_the_first(sqlite_engine):
    """A concurrent writer queues behind BEGIN IMMEDIATE instead of failing."""
    engine = sqlite_engine
    holding, outcome = threading.Event(), {}

    def first():
        with db.writing(engine) as session:
            session.add(Channel(name="first"))
            session.flush()
            holding.set()
            time.sleep(0.6)

    def second():
        holding.wait()
        started = time.monotonic()
        with db.writing(engine) as session:
            session.add(Channel(name="second"))
        outcome["waited"] = time.monotonic() - started

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcome["waited"] >= 0.4
    with db.reading(engine) as session:
        assert set(session.exec(select(Channel.name))) == {"first", "second"}


def test_write_transaction_takes_the_lock_up_front(sqlite_engine):
    """BEGIN IMMEDIATE: a second writer cannot start while the first is open."""
    engine = sqlite_engine
    with db.writing(engine) as session:
        session.execute(text("SELECT 1"))
        other = engine.raw_connection()
        try:
            other.execute("PRAGMA busy_timeout=0")
            with pytest.raises(Exception, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_plain_postgresql_url_uses_psycopg3():
    engine = db.engine_for("postgresql://someone@127.0.0.1/nothing")
    assert engine.dialect.driver == "psycopg"


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private" / "lab.sqlite"
    engine = db.engine_for(f"sqlite:///{path}")
    with db.writing(engine) as session:
        session.exec(text("CREATE TABLE t (x INTEGER)"))
    try:
        for name in ("lab.sqlite", "lab.sqlite-wal", "lab.sqlite-shm"):
            assert (path.parent / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        engine.dispose()


def test_the_instance_folder_is_its_owners_only(tmp_path, monkeypatch):
    from lab.app import create_app

    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    create_app({"SECRET_KEY": "test"}, with_web=False)
    assert (tmp_path / "instance").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "instance" / "lab.sqlite").stat().st_mode & 0o777 == 0o600
