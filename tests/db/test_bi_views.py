"""PostgreSQL read-only views for BI tools: the documented grants, and nothing more."""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from lab.pilots import evidence
from lab.portfolio.exports import TABLES
from tests.factories import ACTOR, log_rows, observation_rows, start_pilot

DOCS = Path(__file__).resolve().parents[2] / "docs" / "EXPORTS.md"
VIEWS = ["bi_hypotheses", "bi_pilots", "bi_metrics", "bi_observations", "bi_decisions",
         "bi_spend", "bi_notes"]


@pytest.fixture
def postgres(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the BI views are PostgreSQL's (LAB_TEST_DATABASE_URL)")
    return engine


def grants(role: str, schema: str) -> list[str]:
    """Return the documented statements, for a throwaway role that cannot log in."""
    text_ = DOCS.read_text(encoding="utf-8")
    block = text_[text_.index("```sql\n", text_.index("## PostgreSQL")) + 7:]
    block = block[:block.index("```")]
    block = block.replace("LOGIN PASSWORD 'choose-a-long-random-one'", "NOLOGIN")
    block = block.replace("SCHEMA public", f'SCHEMA "{schema}"').replace("lab_bi", role)
    return [statement.strip() for statement in block.split(";") if statement.strip()]


def test_the_views_hold_the_export_columns(postgres, session):
    pilot = start_pilot(session)
    evidence.add_spend(session, pilot_key=pilot.key, spent_on=date(2026, 1, 10), amount=7,
                       description="ads", actor=ACTOR)
    session.commit()
    log_rows(postgres, observation_rows())
    with postgres.connect() as connection:
        for view in VIEWS:
            table = TABLES[view.removeprefix("bi_")]
            result = connection.execute(text(f"SELECT * FROM {view}"))
            assert list(result.keys()) == list(table.schema), view
        assert connection.execute(text("SELECT count(*) FROM bi_observations")).scalar() == 24
        assert connection.execute(text("SELECT spend FROM bi_pilots")).scalar() == 7


def test_a_bi_role_reads_the_views_and_nothing_else(postgres, session):
    start_pilot(session)
    role = f"lab_bi_{uuid.uuid4().hex[:8]}"
    with postgres.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
        for statement in grants(role, schema):
            connection.execute(text(statement))
    try:
        with postgres.connect() as connection:
            connection.execute(text(f"SET ROLE {role}"))
            assert connection.execute(text("SELECT key FROM bi_pilots")).all() == \
                [("x-care-1h",)]
            for refused in ("SELECT * FROM lab_user", "SELECT * FROM api_token",
                            "SELECT * FROM audit_event", "SELECT * FROM pilot",
                            "DELETE FROM pilot", "UPDATE observation SET n = 1"):
                with pytest.raises(ProgrammingError, match="permission denied"), \
                        connection.begin_nested():
                    connection.execute(text(refused))
            with pytest.raises(DBAPIError, match="cannot delete from view"), \
                    connection.begin_nested():
                connection.execute(text("DELETE FROM bi_notes"))
            connection.rollback()
    finally:
        with postgres.begin() as connection:
            connection.execute(text("RESET ROLE"))
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))


def test_sqlite_has_no_views(sqlite_engine):
    with sqlite_engine.connect() as connection:
        found = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'view'"))
        assert [name for (name,) in found if re.match("bi_", name)] == []
