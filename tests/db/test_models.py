"""lab.models: the database itself refuses what the domain forbids."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import CheckConstraint, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel, select

from lab import db, vocabulary
from lab.models import AuditEvent, Decision, Metric, Observation
from lab.models import base as model_lists
from lab.models.governance import AppendOnlyError
from lab.pilots import audit
from lab.pilots import plans as preregistration
from lab.vocabulary import values
from tests.factories import ACTOR, start_pilot


def refused_by_database(engine, *rows) -> None:
    with pytest.raises(IntegrityError), db.writing(engine) as session:
        for row in rows:
            session.add(row)
        session.flush()


def observation(pilot, metric, **values) -> Observation:
    values = values or {"successes": 1, "trials": 2}
    return Observation(pilot_id=pilot.id, metric_id=metric.id, arm="pilot", phase="during",
                       period=date(2026, 1, 5), **values)


@pytest.fixture
def two_pilots(session):
    first = start_pilot(session)
    second = start_pilot(session, key="other", pilot={"channel": "facebook"})
    metrics = {(m.pilot_id, m.key): m for m in session.exec(select(Metric))}
    return first, second, metrics


def test_the_natural_key_is_unique(engine, two_pilots):
    pilot, _, metrics = two_pilots
    churn = metrics[pilot.id, "churn-90d"]
    with db.writing(engine) as session:
        session.add(observation(pilot, churn))
    refused_by_database(engine, observation(pilot, churn, successes=2, trials=2))


def test_an_observation_metric_must_belong_to_its_pilot(engine, two_pilots):
    pilot, other, metrics = two_pilots
    refused_by_database(engine, observation(pilot, metrics[other.id, "churn-90d"]))


def test_one_primary_metric_per_pilot(engine, two_pilots):
    pilot, _, _ = two_pilots
    refused_by_database(engine, Metric(pilot_id=pilot.id, key="second", kind="rate",
                                       role="primary", direction="increase",
                                       minimum_effect=1))


@pytest.mark.parametrize("values", [
    {"successes": 3, "trials": 2},
    {"successes": 1, "trials": 2, "events": 1},
    {"n": 0, "mean": 1.0, "sd": 1.0},
    {"n": 2, "mean": 1.0},
    {"events": 1, "exposure": -1.0},  # 0 is allowed since 0009 (a week without)
])
def test_observation_values_are_checked(engine, two_pilots, values):
    pilot, _, metrics = two_pilots
    refused_by_database(engine, observation(pilot, metrics[pilot.id, "churn-90d"], **values))


def test_foreign_keys_are_enforced(engine, two_pilots):
    pilot, _, metrics = two_pilots
    stray = observation(pilot, metrics[pilot.id, "churn-90d"])
    stray.pilot_id = 9999
    refused_by_database(engine, stray)


def test_audit_events_are_append_only(session):
    audit.record(session, actor=ACTOR, action="test", object_type="pilot", object_key="k",
                 after={"when": date(2026, 1, 5), "nan": float("nan")})
    session.commit()
    event = session.exec(select(AuditEvent)).one()
    assert event.after == {"when": "2026-01-05", "nan": None}
    session.delete(event)
    with pytest.raises(AppendOnlyError):
        session.flush()


# Each list the database allows, and the vocabulary it must be.
VOCABULARY_CHECKS = {
    "ck_hypothesis_process": values(vocabulary.Process),
    "ck_pilot_design": values(vocabulary.Design),
    "ck_pilot_analysis": values(vocabulary.Analysis),
    "ck_pilot_status": values(vocabulary.Status),
    "ck_team_member_function": values(vocabulary.Function),
    "ck_metric_kind": values(vocabulary.Kind),
    "ck_metric_role": values(vocabulary.Role),
    "ck_metric_direction": values(vocabulary.Direction),
    "ck_observation_arm": values(vocabulary.Arm),
    "ck_observation_phase": values(vocabulary.Phase),
    "ck_note_kind": values(vocabulary.NoteKind),
    "ck_decision_outcome": [str(status) for status in vocabulary.TERMINAL],
    "ck_decision_recommended": values(vocabulary.Outcome),
    "ck_user_role": values(vocabulary.UserRole),
    "ck_api_token_scope": values(vocabulary.TokenScope),
    "ck_notice_kind": values(vocabulary.NoticeKind),
    "ck_notice_subscription_kind": values(vocabulary.NoticeKind),
    # The programme's tables (migration 0005).
    "ck_backlog_entry_function": values(vocabulary.Function),
    "ck_initiative_function": values(vocabulary.Function),
    "ck_initiative_process": values(vocabulary.Process),
    "ck_initiative_status": values(vocabulary.InitiativeStatus),
    "ck_note_stance_stance": values(vocabulary.Stance),
    "ck_standby_firing_action": values(vocabulary.StandbyAction),
    "ck_standby_firing_reads": values(vocabulary.StandbyBound),
}


def check_constraints(tables) -> dict[str, str]:
    """Return every named CHECK constraint of these tables as name -> SQL text."""
    return {constraint.name: str(constraint.sqltext) for table in tables
            for constraint in table.constraints if isinstance(constraint, CheckConstraint)}


def test_every_fixed_list_the_database_allows_is_a_vocabulary():
    listed = {name: re.findall(r"'([^']*)'", sql)
              for name, sql in check_constraints(SQLModel.metadata.tables.values()).items()
              if " IN (" in sql}
    assert listed == VOCABULARY_CHECKS


@pytest.mark.parametrize("name", ["Process", "Design", "Analysis", "Kind", "Role",
                                  "Direction", "Function"])
def test_the_plan_schema_uses_the_vocabulary(name):
    assert getattr(preregistration, name) is getattr(vocabulary, name)


@pytest.mark.parametrize(("listed", "check"), [
    ("PROCESSES", "ck_hypothesis_process"), ("DESIGNS", "ck_pilot_design"),
    ("ANALYSES", "ck_pilot_analysis"), ("KINDS", "ck_metric_kind"), ("ROLES", "ck_metric_role"),
    ("DIRECTIONS", "ck_metric_direction"), ("ARMS", "ck_observation_arm"),
    ("PHASES", "ck_observation_phase"), ("STATUSES", "ck_pilot_status"),
    ("TERMINAL", "ck_decision_outcome"), ("OUTCOMES", "ck_decision_recommended"),
    ("NOTE_KINDS", "ck_note_kind"), ("USER_ROLES", "ck_user_role"),
    ("FUNCTIONS", "ck_team_member_function"),
])
def test_the_reports_lists_are_the_vocabulary(listed, check):
    assert VOCABULARY_CHECKS[check] == getattr(model_lists, listed)


def test_the_migrations_built_exactly_the_models_checks(sqlite_template):
    """The constraints derived from the vocabulary and lab.kinds need no migration."""
    engine = create_engine(f"sqlite:///{sqlite_template}")
    inspector = inspect(engine)
    migrated = {check["name"]: check["sqltext"] for table in inspector.get_table_names()
                for check in inspector.get_check_constraints(table)}
    engine.dispose()
    assert migrated == check_constraints(SQLModel.metadata.tables.values())


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'someone else'",
                                       "DELETE FROM audit_event",
                                       "UPDATE decision SET rationale = 'rewritten'",
                                       "DELETE FROM decision"])
def test_the_database_refuses_to_rewrite_history(engine, session, statement):
    """Whoever connects, bypassing the ORM, cannot change the log or a decision."""
    pilot = start_pilot(session)
    session.add(Decision(pilot_id=pilot.id, outcome="withdrawn", recommended="withdraw",
                         decided_by="mia@bank.example"))
    session.commit()
    with pytest.raises(DBAPIError, match="never changed or deleted"), \
            engine.begin() as connection:
        connection.execute(text(statement))
