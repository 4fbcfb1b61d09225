"""Signing in and out: same answers, throttling, sessions that really end, CSRF, headers."""

from __future__ import annotations

import time

import pytest

from lab import accounts, db
from lab.pilots import audit
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_in, write


def audit_actions(app, action):
    with app.app_context(), db.reading(db.engine()) as session:
        return audit.events(session, action=action)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/pilots/x-care-1h")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/pilots/x-care-1h"


def test_sign_in_lands_on_the_page_asked_for_and_never_off_site(client, people):
    response = client.post("/login", data={"email": people["viewer"], "password": PASSWORD,
                                           "next": "/hypotheses",
                                           "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/hypotheses"
    other = client.post("/login", data={"email": people["viewer"], "password": PASSWORD,
                                        "next": "//evil.example/x",
                                        "csrf_token": csrf_token(client)})
    assert other.headers["Location"] == "/"


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example",
    "\\/evil.example", "https://evil.example/", "/ /evil.example", "/\u2028/evil.example",
    "javascript:alert(1)", "/hypotheses\r\nSet-Cookie: x=1"])
def test_only_same_site_paths_survive_sign_in(client, people, target):
    response = client.post("/login", data={"email": people["viewer"], "password": PASSWORD,
                                           "next": target, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_same_site_path_with_a_query_survives_sign_in(client, people):
    response = client.post("/login", data={"email": people["viewer"], "password": PASSWORD,
                                           "next": "/pilots/x-care-1h?tab=notes",
                                           "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/pilots/x-care-1h?tab=notes"


def test_unknown_user_and_wrong_password_get_the_same_answer(client, people):
    wrong = sign_in(client, people["viewer"], "not the password")
    unknown = sign_in(client, "nobody@lab.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401

    def message(response):
        return response.get_data(as_text=True).split('role="alert">')[1].split("<")[0]

    assert message(wrong) == message(unknown) == (
        "That email and password do not match an active account.")


def test_too_many_failures_pause_sign_in_with_429(app, client, people):
    app.config["LOGIN_ATTEMPTS"] = 2
    for _ in range(2):
        assert sign_in(client, people["member"], "not the password").status_code == 401
    paused = sign_in(client, people["member"], PASSWORD)
    assert paused.status_code == 429
    assert "Too many failed sign-ins" in paused.get_data(as_text=True)
    assert 0 < int(paused.headers["Retry-After"]) <= 300
    assert audit_actions(app, "login.throttled")


def test_every_sign_in_is_audited(app, client, people):
    sign_in(client, people["viewer"])
    [event] = audit_actions(app, "login")
    assert event.actor == people["viewer"]


def test_a_form_without_a_csrf_token_is_refused_and_changes_nothing(app, signed_in, running):
    client = signed_in("member")
    response = client.post("/pilots/x-care-1h/notes", data={
        "kind": "risk", "noted_on": "2026-02-01", "source": "desk", "text": "Queue too long"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert "Queue too long" not in client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert audit_actions(app, "denied.csrf")


def test_a_forged_csrf_token_is_refused(signed_in, running):
    client = signed_in("member")
    response = client.post("/pilots/x-care-1h/start", data={"csrf_token": "forged"})
    assert response.status_code == 400


def replayed(app, cookie_jar_client, change):
    """Copy a signed-in client's cookie, make a change, and replay the old cookie."""
    cookie = cookie_jar_client.get_cookie("session").value
    change()
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    return replay.get("/account")


def test_a_session_cookie_is_dead_after_logout(app, signed_in):
    client = signed_in("analyst")
    assert replayed(app, client, lambda: post_form(client, "/logout")).status_code == 302


def test_a_session_cookie_is_dead_after_a_password_change(app, signed_in):
    client = signed_in("analyst")

    def change():
        response = post_form(client, "/account/password", {
            "current_password": PASSWORD, "new_password": "a brand new password"})
        assert response.status_code == 302

    assert replayed(app, client, change).status_code == 302
    assert client.get("/account").status_code == 200  # the session that changed it goes on


@pytest.mark.parametrize("change", ["disable", "role"])
def test_a_session_cookie_is_dead_after_disable_or_role_change(app, signed_in, people, change):
    client = signed_in("member")

    def act():
        if change == "disable":
            write(app, lambda s: accounts.disable(s, email=people["member"], actor="admin"))
        else:
            write(app, lambda s: accounts.set_role(s, email=people["member"], role="viewer",
                                                   actor="admin"))

    assert replayed(app, client, act).status_code == 302
    assert client.get("/account").status_code == 302


def test_an_admin_disabling_a_user_ends_their_session(app, signed_in, people):
    member, admin = signed_in("member"), signed_in("admin")
    user_id = write(app, lambda s: accounts.find_user(s, people["member"]).id)
    assert post_form(admin, f"/admin/users/{user_id}/disable").status_code == 302
    assert member.get("/").status_code == 302
    assert sign_in(app.test_client(), people["member"]).status_code == 401


def test_signing_off_needs_a_fresh_sign_in(app, signed_in, running):
    client = signed_in("manager")
    assert client.get("/pilots/x-care-1h/sign-off").status_code == 200
    with client.session_transaction() as session:
        session["login_at"] = time.time() - app.config["FRESH_LOGIN_MINUTES"] * 60 - 1
    stale = client.get("/pilots/x-care-1h/sign-off")
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith("/login?next=/pilots/x-care-1h/sign-off")
    assert "Sign in again" in client.get(stale.headers["Location"]).get_data(as_text=True)


def test_pages_carry_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script" not in response.get_data(as_text=True)


def test_the_session_cookie_is_http_only_and_same_site(client, people):
    response = sign_in(client, people["viewer"])
    [cookie] = [cookie for cookie in response.headers.getlist("Set-Cookie")
                if cookie.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_head_request_never_signs_in(app, client, people):
    response = client.open("/login", method="HEAD",
                           data={"email": people["viewer"], "password": PASSWORD})
    assert response.status_code == 200
    assert not audit_actions(app, "login") and not audit_actions(app, "login.failed")
