"""A write that cannot get the database's lock in time answers 503, never 500."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest

from lab import db
from lab.app import create_app
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_in


@contextmanager
def lock_held(url: str):
    """Hold the database's write lock (SQLite) or the audit table's (PostgreSQL)."""
    engine = db.engine_for(url)
    with engine.execution_options(lab_write=True).connect() as connection, connection.begin():
        if not db.is_sqlite(engine):
            # Every write is audited, so no write gets past this lock.
            connection.exec_driver_sql("LOCK TABLE audit_event IN EXCLUSIVE MODE")
        else:
            connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE has taken the lock
        yield


@pytest.fixture
def impatient(database_url, tmp_path, monkeypatch, people, running):
    """Return an app whose writes wait one second for the lock."""
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test", "TESTING": True,
                       "LOCK_WAIT_SECONDS": 1})


def test_a_write_kept_waiting_answers_503_with_retry_after(impatient, database_url, people):
    client = impatient.test_client()
    assert sign_in(client, people["member"]).status_code == 302
    token = csrf_token(client, "/login")
    with lock_held(database_url):
        began = time.monotonic()
        response = client.post("/pilots/x-care-1h/notes", data={
            "kind": "risk", "noted_on": "2026-02-01", "source": "desk", "text": "Queue too long",
            "csrf_token": token})
        waited = time.monotonic() - began
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "1"
    assert "busy" in response.get_data(as_text=True)
    assert 0.9 < waited < 5
    assert "Queue too long" not in client.get("/pilots/x-care-1h").get_data(as_text=True)
    # Once the lock is free, the same write goes through.
    assert post_form(client, "/pilots/x-care-1h/notes", {
        "kind": "risk", "noted_on": "2026-02-01", "source": "desk",
        "text": "Queue too long"}).status_code == 302


def test_signing_in_during_a_long_write_is_503_not_500(impatient, database_url, people):
    client = impatient.test_client()
    token = csrf_token(client)
    with lock_held(database_url):
        response = client.post("/login", data={"email": people["viewer"], "password": PASSWORD,
                                               "csrf_token": token})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"


def test_an_api_write_kept_waiting_is_503_json(impatient, database_url, people):
    client = impatient.test_client()
    sign_in(client, people["member"])
    token = csrf_token(client, "/login")
    with lock_held(database_url):
        response = client.post("/api/v1/pilots/x-care-1h/notes", headers={"X-CSRFToken": token},
                               json={"kind": "risk", "noted_on": "2026-02-01", "source": "desk",
                                     "text": "Queue too long"})
    assert response.status_code == 503
    assert response.json["status"] == 503 and "busy" in response.json["message"]
