"""lab.models: the database itself refuses what the domain forbids."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import select

from lab import db
from lab.models import AuditEvent, Decision, Metric, Observation
from lab.models import base as model_lists
from lab.models.governance import AppendOnlyError
from lab.pilots import audit
from lab.pilots import plans as preregistration
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
    {"events": 1, "exposure": 0.0},
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


def test_model_value_lists_match_the_plan_schema():
    assert [d.value for d in preregistration.Design] == model_lists.DESIGNS
    assert [a.value for a in preregistration.Analysis] == model_lists.ANALYSES
    assert [k.value for k in preregistration.Kind] == model_lists.KINDS
    assert [r.value for r in preregistration.Role] == model_lists.ROLES
    assert [d.value for d in preregistration.Direction] == model_lists.DIRECTIONS
    assert [p.value for p in preregistration.Process] == model_lists.PROCESSES
    assert [f.value for f in preregistration.Function] == model_lists.FUNCTIONS


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
