"""Fixtures for the web tests: one account per role, signed-in clients, a running pilot."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lab import accounts, db
from lab.pilots.observations import record_observations
from tests.factories import observation_rows, start_pilot

ROLES = ("viewer", "member", "analyst", "manager", "admin")
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def email_of(role: str) -> str:
    """Return the test account's email for a role."""
    return f"{role}@lab.example"


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Return a CSRF token for the client's session, read from a page's form."""
    page = client.get(path)
    found = CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):
    """Sign in through the login form; return the response."""
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


def post_form(client: FlaskClient, path: str, data: dict | None = None, **kwargs):
    """Post a form with a valid CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/login")},
                       **kwargs)


def write(app: Flask, change: Callable) -> object:
    """Run a change in a write transaction on the app's database; return its result."""
    with app.app_context(), db.writing(db.engine()) as session:
        return change(session)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hash the test password once: scrypt is slow on purpose, and tests make many users."""
    return accounts.hash_password(PASSWORD)


@pytest.fixture
def people(app: Flask, password_hash, monkeypatch) -> dict[str, str]:
    """Create one account per role; return their emails by role."""
    real = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password",
                        lambda password: password_hash if password == PASSWORD else real(password))

    def add(session):
        for role in ROLES:
            accounts.add_user(session, email=email_of(role), password=PASSWORD, role=role,
                              actor="test")
    write(app, add)
    return {role: email_of(role) for role in ROLES}


@pytest.fixture
def signed_in(app: Flask, people) -> Callable[[str], FlaskClient]:
    """Return a function giving a client signed in with a role."""
    def client_for(role: str) -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, people[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return client_for


@pytest.fixture
def running(app: Flask, session) -> str:
    """Start pilot x-care-1h (owned by ana@bank.example) with six weeks of data."""
    start_pilot(session)
    write(app, lambda s: record_observations(s, rows=observation_rows(periods=6),
                                             actor="test"))
    return "x-care-1h"


@pytest.fixture
def token(app, people) -> str:
    """An analyst's API token (scope write)."""
    def create(session):
        user = accounts.find_user(session, people["analyst"])
        return accounts.create_token(session, user=user, name="tests", scope="write")[1]
    return write(app, create)
