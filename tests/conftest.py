"""Fixtures shared by every test: databases, sessions and the flaskr-style app trio.

Every database test runs on SQLite (a fresh file per test, copied from a template
built once by the real migrations) and, when LAB_TEST_DATABASE_URL is set, on
PostgreSQL too (a schema of its own per test run, built by the migrations and
emptied before each test).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from lab import db, migrations
from lab.app import create_app

# Benchmarks are scripts run on demand, never collected.
collect_ignore = ["bench"]

POSTGRES_URL = os.environ.get("LAB_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# The parametrized fixtures below that open a database of each backend.
BACKEND_FIXTURES = ("database_url", "blank_url")


def pytest_addoption(parser):
    parser.addoption(
        "--postgresql-only", action="store_true",
        help="run only the tests that touch PostgreSQL (CI's second run: the first one "
             "already ran everything else on SQLite)")


def touches_postgresql(item) -> bool:
    """Whether a collected test opens the PostgreSQL database under test."""
    if "postgres_schema" in item.fixturenames:
        return True
    params = getattr(item, "callspec", None)
    params = params.params if params else {}
    return any(params.get(name) == "postgresql" for name in BACKEND_FIXTURES)


def pytest_collection_modifyitems(config, items):
    """With --postgresql-only, deselect the tests that never touch PostgreSQL."""
    if not config.getoption("postgresql_only"):
        return
    if not POSTGRES_URL:
        raise pytest.UsageError("--postgresql-only needs LAB_TEST_DATABASE_URL")
    kept = [item for item in items if touches_postgresql(item)]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


def postgres_url(schema: str | None = None) -> str:
    """Return the test PostgreSQL URL (psycopg 3), confined to a schema if given."""
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    if schema:
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Build one SQLite database with the migrations; tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "lab.sqlite"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    db.engine_for(url).dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """Create a schema for this test run, migrate it, and drop it at the end."""
    schema = f"lab_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_url(schema)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        db.engine_for(url).dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """Return the URL of an empty, migrated database of each backend under test."""
    if request.param == "sqlite":
        path = tmp_path / "lab.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_schema")
        empty_postgres(url)
    yield url
    db.engine_for(url).dispose()


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    """Return the engine of a fresh SQLite database, for SQLite-only behaviour."""
    path = tmp_path / "only.sqlite"
    shutil.copy(sqlite_template, path)
    engine = db.engine_for(f"sqlite:///{path}")
    yield engine
    engine.dispose()


# The tables whose triggers refuse DELETE (migrations 0002, 0004 and 0010).
APPEND_ONLY = ("audit_event", "decision", "decision_brief", "standby_firing")
# Truncated with them: the tables that reference a decision (TRUNCATE refuses otherwise).
TRUNCATED = (*APPEND_ONLY, "learning_card", "learning_feedback")


def empty_postgres(url: str) -> None:
    """Remove every row left by the previous test (the schema stays).

    DELETE, children first: on tables this small it is many times faster than TRUNCATE.
    The append-only tables refuse DELETE (a trigger), so they are truncated.
    """
    with db.engine_for(url).begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text(f"TRUNCATE {', '.join(TRUNCATED)}"))
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in TRUNCATED:
                connection.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def blank_url(request, tmp_path):
    """Return the URL of a database with no tables at all, on each backend under test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'blank.sqlite'}"
        yield url
        db.engine_for(url).dispose()
        return
    schema = f"lab_blank_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_url(schema)
    try:
        yield url
    finally:
        db.engine_for(url).dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url):
    """Return the engine of this test's database."""
    return db.engine_for(database_url)


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """Return a session on this test's database; factories commit through it.

    Objects stay loaded after a commit (expire_on_commit=False), so reading an attribute
    does not open a new transaction. That matters on SQLite: a transaction that has read
    cannot write once another connection (import_csv, a CLI command, a request) has
    committed since. After such code ran, call session.rollback() before reading fresh
    data through this session.
    """
    with Session(engine, expire_on_commit=False) as session:
        yield session


class LabCliRunner(FlaskCliRunner):
    """Invoke `lab` commands (the lab.cli group) with the test app's config."""

    def invoke(self, cli=None, args=None, **kwargs):
        """Run `lab ARGS` (or another click command given as cli)."""
        if cli is None:
            from lab.cli import main  # imported here: it needs every command's module

            cli = main
        return super().invoke(cli, args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    """Return the app configured for this test's database."""
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("LAB_DATABASE_URL", raising=False)
    # Approval before start is off here: the tests of approval (tests/*/test_approval*.py)
    # turn it on; the others start pilots as a small team without the rule would.
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test",
                      "APPROVAL": False})
    yield app


@pytest.fixture
def client(app):
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner: runner.invoke(args=["sync", path]) runs `lab sync path`."""
    return LabCliRunner(app)
