"""Migrations: the migrated schema is exactly the models', on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from lab import db, migrations


def differences(url: str) -> list:
    """Return what autogenerate would change to make the database match the models."""
    with db.engine_for(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrated_schema_matches_the_models(database_url):
    assert differences(database_url) == []
    assert migrations.current_revision(database_url) == migrations.head_revision()


def test_upgrade_twice_changes_nothing(database_url):
    migrations.upgrade(database_url)
    assert differences(database_url) == []


def test_fresh_sqlite_file_is_created_by_the_migrations(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    assert migrations.current_revision(url) is None
    migrations.upgrade(url)
    tables = set(inspect(db.engine_for(url)).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert differences(url) == []
    migrations.downgrade(url, "base")
    assert set(inspect(db.engine_for(url)).get_table_names()) == {"alembic_version"}
    db.engine_for(url).dispose()


def test_lab_init_creates_then_reports_up_to_date(tmp_path, monkeypatch):
    from lab.app import create_app
    from lab.cli.database import init_command
    from tests.conftest import LabCliRunner

    url = f"sqlite:///{tmp_path / 'init.sqlite'}"
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = LabCliRunner(create_app({"DATABASE_URL": url, "SECRET_KEY": "t"}))
    first = runner.invoke(init_command)
    assert first.exit_code == 0, first.output
    assert "created the database" in first.output
    again = runner.invoke(init_command)
    assert "is up to date" in again.output
    assert differences(url) == []
    db.engine_for(url).dispose()
