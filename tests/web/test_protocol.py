"""HTTP details: size limits, HTTPS and proxies, caching, method replies, the SVG policy."""

from __future__ import annotations

import logging
import re

import pytest

from lab.app import create_app
from tests.web.conftest import PASSWORD, csrf_token, sign_in

MEGABYTE = 1024 * 1024


def test_a_request_over_the_limit_is_413_before_sign_in(app, client):
    app.config["MAX_CONTENT_LENGTH"] = MEGABYTE
    # The body is not even read: the declared length is enough to refuse it.
    response = client.post("/login", data=b"x" * 10, content_type="application/x-www-form-"
                           "urlencoded", environ_overrides={"CONTENT_LENGTH": str(500 * MEGABYTE)})
    assert response.status_code == 413
    assert "larger than the 1 MB" in response.get_data(as_text=True)
    assert "lab import" in response.get_data(as_text=True)


def test_the_limit_comes_from_lab_max_upload_mb(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_MAX_UPLOAD_MB", "2")
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test"})
    client = app.test_client()
    body = {"email": "x@lab.example", "password": "p" * (3 * MEGABYTE)}
    response = client.post("/api/v1/pilots", json=body)
    assert response.status_code == 413
    assert response.json["message"].startswith("The request is larger than the 2 MB limit")
    small = client.post("/login", data={"email": "x@lab.example", "password": "p" * MEGABYTE,
                                        "csrf_token": csrf_token(client)})
    assert small.status_code == 401  # under the limit: read, and refused as a bad sign-in


def test_a_wrong_method_is_405_with_allow(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    api = client.delete("/api/v1/pilots")
    assert api.status_code == 405 and "POST" in api.headers["Allow"]


def test_an_api_write_without_credentials_is_401_not_a_csrf_400(client):
    response = client.post("/api/v1/pilots/x-care-1h/notes", json={"text": "hi"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/", "/api/v1/pilots", "/portfolio.csv", "/account"])
def test_what_signed_in_people_see_is_never_cached(signed_in, running, path):
    response = signed_in("analyst").get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/lab.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_an_svg_chart_opened_directly_obeys_its_own_policy(signed_in, running):
    response = signed_in("viewer").get("/pilots/x-care-1h/charts/churn-90d/looks.svg")
    svg, policy = response.get_data(as_text=True), response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    if "<style" in svg or re.search(r"\sstyle=", svg):  # matplotlib styles inline
        assert "'unsafe-inline'" in directives.get("style-src", "")
    assert "<script" not in svg
    assert directives["default-src"] == "'none'"  # nothing else may load or run


def https_app(database_url, tmp_path, monkeypatch, proxies: int):
    monkeypatch.setenv("LAB_HTTPS", "true")
    monkeypatch.setenv("LAB_TRUSTED_PROXIES", str(proxies))
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test"})


def test_behind_https_the_cookie_is_secure_host_only_and_hsts_is_sent(
        database_url, tmp_path, monkeypatch, people):
    app = https_app(database_url, tmp_path, monkeypatch, proxies=1)
    client = app.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = client.get("/login", headers=forwarded)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    response = client.post("/login", headers={**forwarded, "Referer": "https://localhost/login"},
                           data={"email": people["viewer"], "password": PASSWORD,
                                 "csrf_token": token.group(1)})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert {cookie.split("=")[0] for cookie in cookies} == {"__Host-session",
                                                             "__Host-lab-browser"}
    for cookie in cookies:
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_forwarded_headers_count_only_behind_trusted_proxies(database_url, tmp_path,
                                                             monkeypatch):
    app = https_app(database_url, tmp_path, monkeypatch, proxies=0)
    page = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in page.headers  # plain HTTP, whatever it says


def test_without_a_secret_key_the_app_warns_at_start_up(database_url, tmp_path, monkeypatch,
                                                        caplog):
    monkeypatch.delenv("LAB_SECRET_KEY", raising=False)
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    with caplog.at_level(logging.WARNING, logger="lab"):
        create_app({"DATABASE_URL": database_url})
    assert "LAB_SECRET_KEY is not set" in caplog.text
    assert "will not survive on a second host" in caplog.text
    caplog.clear()
    monkeypatch.setenv("LAB_SECRET_KEY", "k" * 32)
    with caplog.at_level(logging.WARNING, logger="lab"):
        create_app({"DATABASE_URL": database_url})
    assert "LAB_SECRET_KEY" not in caplog.text


def test_without_https_the_cookies_keep_their_plain_names(client, people):
    cookies = sign_in(client, people["viewer"]).headers.getlist("Set-Cookie")
    assert {cookie.split("=")[0] for cookie in cookies} == {"session", "lab-browser"}
    assert not any("Secure" in cookie for cookie in cookies)


@pytest.mark.parametrize("path", ["/pilots", "/pilots/x-care-1h/observations",
                                  "/pilots/x-care-1h/notes", "/pilots/x-care-1h/spend",
                                  "/pilots/x-care-1h/decisions", "/tokens"])
@pytest.mark.parametrize("depth", [100_000, 900, 40])
def test_a_deeply_nested_json_body_is_a_clear_400(app, client, people, running, path, depth):
    from lab import accounts
    from tests.web.conftest import write

    def manager_token(session):
        user = accounts.find_user(session, people["manager"])
        return accounts.create_token(session, user=user, name="t", scope="write")[1]

    body = '{"rows": ' + "[" * depth + "]" * depth + "}"
    response = client.post(f"/api/v1{path}", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {write(app, manager_token)}"})
    assert response.status_code == 400, response.json
    assert "nested" in response.json["message"]


def test_a_nul_in_an_uploaded_csv_is_a_422_naming_the_line(app, signed_in, running):
    from tests.factories import observation_rows
    from tests.web.conftest import post_form
    from tests.web.test_forms import csv_upload

    rows = observation_rows(periods=8)[-18:]
    rows[0]["pilot"] = "x-care\x001h"
    response = post_form(signed_in("member"), "/observations/upload",
                         {"file": csv_upload(rows, "nul.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "contains a NUL character" in response.get_data(as_text=True)


@pytest.mark.parametrize(("proxies", "throttled"), [(1, False), (0, True)])
def test_the_client_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(
        database_url, tmp_path, monkeypatch, proxies, throttled):
    from lab import db
    from lab.pilots import audit

    monkeypatch.setenv("LAB_TRUSTED_PROXIES", str(proxies))
    monkeypatch.setenv("LAB_LOGIN_ADDRESS_ATTEMPTS", "2")
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test"})
    client = app.test_client()
    answers = []
    for number in range(3):  # three people behind one proxy, each mistyping once
        forwarded = {"X-Forwarded-For": f"203.0.113.{number}"}
        page = client.get("/login", headers=forwarded)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
        answers.append(client.post("/login", headers=forwarded, data={
            "email": f"user{number}@lab.example", "password": "wrong", "csrf_token":
            token.group(1)}).status_code)
    assert answers == [401, 401, 429 if throttled else 401]
    with app.app_context(), db.reading(db.engine()) as session:
        addresses = {event.after["address"] for event in audit.events(session)
                     if event.action.startswith("login")}
    assert addresses == ({"127.0.0.1"} if throttled else {f"203.0.113.{n}" for n in range(3)})
