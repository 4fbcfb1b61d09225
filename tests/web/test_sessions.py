"""Sessions end when idle for too long, and after a fixed time however busy."""

from __future__ import annotations

import time

import pytest


def aged(client, **seconds_ago):
    """Move a session's clocks back by the given seconds (login_at, seen_at)."""
    with client.session_transaction() as session:
        for name, seconds in seconds_ago.items():
            session[name] = time.time() - seconds


def test_an_idle_session_ends(app, signed_in):
    client = signed_in("viewer")
    limit = app.config["SESSION_IDLE_MINUTES"] * 60
    aged(client, seen_at=limit - 30)
    assert client.get("/account").status_code == 200  # still within the idle time
    aged(client, seen_at=limit + 1)
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_using_a_session_keeps_it_alive(app, signed_in):
    client = signed_in("viewer")
    aged(client, seen_at=app.config["SESSION_IDLE_MINUTES"] * 60 - 5)
    assert client.get("/account").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5  # the visit counts as activity


def test_a_busy_session_still_ends_at_the_absolute_limit(app, signed_in):
    client = signed_in("viewer")
    aged(client, login_at=app.config["SESSION_HOURS"] * 3600 + 1)
    assert client.get("/account").status_code == 302


def test_a_thirty_day_old_cookie_is_refused(signed_in):
    client = signed_in("viewer")
    aged(client, login_at=30 * 86400, seen_at=30 * 86400)
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(("setting", "clock", "age"), [
    ("SESSION_IDLE_MINUTES", "seen_at", 120), ("SESSION_HOURS", "login_at", 3700)])
def test_the_limits_are_settings(app, signed_in, setting, clock, age):
    client = signed_in("viewer")
    aged(client, **{clock: age})
    assert client.get("/account").status_code == 200  # within the default limits
    app.config[setting] = 1  # a minute idle, or an hour in all
    aged(client, **{clock: age})
    assert client.get("/account").status_code == 302


def test_the_cookie_expires_with_the_absolute_limit(app, client, people):
    from tests.web.conftest import sign_in

    cookies = sign_in(client, people["viewer"]).headers.getlist("Set-Cookie")
    [cookie] = [cookie for cookie in cookies if cookie.startswith("session=")]
    assert "Expires=" in cookie
    assert app.permanent_session_lifetime.total_seconds() == app.config["SESSION_HOURS"] * 3600
