"""Migrations: the migrated schema is exactly the models', on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from lab import db, migrations


def differences(url: str) -> list:
    """Return what autogenerate would change to make the database match the models."""
    with db.engine_for(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found = compare_metadata(context, SQLModel.metadata)
    # SQLite's full-text index of the learning cards (migration 0005) is no model's table.
    return [change for change in found if not (
        change[0] == "remove_table" and change[1].name.startswith("learning_fts"))]


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


def test_0003_keeps_tokens_made_before_it_working_for_90_days(blank_url):
    migrations.upgrade(blank_url, "0002")
    with db.engine_for(blank_url).begin() as connection:
        connection.execute(text(
            "INSERT INTO lab_user (email, name, role, password_hash, active, session_version, "
            "created_at) VALUES ('a@lab.example', '', 'analyst', 'x', true, 1, :now)"),
            {"now": datetime.now(UTC)})
        connection.execute(text(
            "INSERT INTO api_token (user_id, name, token_hash, created_at) "
            "SELECT id, 'old', 'abc', :now FROM lab_user"), {"now": datetime.now(UTC)})
        connection.execute(text(
            "INSERT INTO login_attempt (email, address, at) VALUES ('typed secret', 'x', :now)"),
            {"now": datetime.now(UTC)})
    migrations.upgrade(blank_url, "0003")
    with db.engine_for(blank_url).connect() as connection:
        scope, expires = connection.execute(text("SELECT scope, expires_at FROM api_token")).one()
    expires = expires if isinstance(expires, datetime) else datetime.fromisoformat(expires)
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    assert scope == "write"
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    tables = set(inspect(db.engine_for(blank_url)).get_table_names())
    assert "login_throttle" in tables and "login_attempt" not in tables  # typed text gone
    migrations.downgrade(blank_url, "0002")
    assert "login_attempt" in set(inspect(db.engine_for(blank_url)).get_table_names())
    migrations.upgrade(blank_url)
    assert differences(blank_url) == []


def test_a_token_scope_outside_the_vocabulary_is_refused_by_the_database(database_url):
    engine = db.engine_for(database_url)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO lab_user (email, name, role, password_hash, active, session_version, "
            "created_at) VALUES ('a@lab.example', '', 'analyst', 'x', true, 1, :now)"),
            {"now": datetime.now(UTC)})
        connection.execute(text(
            "INSERT INTO api_token (user_id, name, token_hash, scope, created_at, expires_at) "
            "SELECT id, 'n', 'abc', 'admin', :now, :now FROM lab_user"),
            {"now": datetime.now(UTC)})


def test_the_head_the_command_line_checks_for_is_alembics():
    assert migrations.head_revision() == migrations.HEAD


def test_0010_goes_down_and_up_again(blank_url):
    migrations.upgrade(blank_url)
    migrations.downgrade(blank_url, "0009")
    assert "standby_firing" not in set(inspect(db.engine_for(blank_url)).get_table_names())
    migrations.upgrade(blank_url)
    assert differences(blank_url) == []
    with db.engine_for(blank_url).begin() as connection:  # 'paused' passes the status check
        connection.execute(text(
            "INSERT INTO hypothesis (key, statement, process, expected_benefit, sponsors, "
            "owner, created_at) VALUES ('h', 's', 'service', 'b', '[]', 'o@x', :now)"),
            {"now": datetime.now(UTC)})
        connection.execute(text("INSERT INTO channel (name, created_at) VALUES ('x', :now)"),
                           {"now": datetime.now(UTC)})
        connection.execute(text(
            "INSERT INTO pilot (key, hypothesis_id, iteration, title, channel_id, design, "
            "analysis, allocation, alpha, power, start_date, end_date, budget, currency, "
            "status, plan, owner, created_at, updated_at) SELECT 'p', id, 1, 't', "
            "(SELECT id FROM channel), "
            "'holdout', 'fixed', 0.5, 0.05, 0.8, '2026-01-05', '2026-03-29', 0, 'EUR', "
            "'paused', '{}', 'o@x', :now, :now FROM hypothesis"), {"now": datetime.now(UTC)})
