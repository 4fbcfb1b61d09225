"""Every endpoint and method against every role: the expected status, cell by cell.

Writes send a body that is refused after the permission check (or a state the action
conflicts with), so walking the matrix changes nothing and the order does not matter:
a 422 or 409 here proves the role got past the permission check, a 403 that it did not.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_token, sign_in

ROLES = ("anonymous", "viewer", "member", "analyst", "manager", "admin")
PILOT = "/pilots/x-care-1h"
API = "/api/v1"
ALL_SIGNED_IN = {"viewer", "member", "analyst", "manager", "admin"}

# method, path, body, expected status for: anonymous, viewer, member, analyst, manager, admin
MATRIX = [
    ("GET", "/", None, (302, 200, 200, 200, 200, 200)),
    ("GET", "/portfolio.csv", None, (302, 403, 403, 200, 200, 200)),
    ("GET", "/portfolio/effects.svg", None, (302, 200, 200, 200, 200, 200)),
    ("GET", "/hypotheses", None, (302, 200, 200, 200, 200, 200)),
    ("GET", "/hypotheses/fast-social-care", None, (302, 200, 200, 200, 200, 200)),
    ("GET", PILOT, None, (302, 200, 200, 200, 200, 200)),
    ("GET", f"{PILOT}/charts/churn-90d/looks.svg", None, (302, 200, 200, 200, 200, 200)),
    ("GET", f"{PILOT}/charts/churn-90d/periods.png", None, (302, 200, 200, 200, 200, 200)),
    ("GET", "/register", None, (302, 403, 200, 200, 200, 200)),
    ("POST", "/register", {}, (302, 403, 422, 422, 422, 422)),
    ("POST", f"{PILOT}/start", {}, (302, 403, 409, 409, 409, 409)),
    # Resuming a running pilot conflicts; pausing an unknown one is not found.
    ("POST", f"{PILOT}/resume", {}, (302, 403, 409, 409, 409, 409)),
    ("POST", "/pilots/nope/pause", {}, (302, 403, 404, 404, 404, 404)),
    ("POST", f"{PILOT}/observations", {}, (302, 403, 422, 422, 422, 422)),
    ("GET", "/observations/upload", None, (302, 403, 200, 200, 200, 200)),
    ("POST", "/observations/upload", {}, (302, 403, 422, 422, 422, 422)),
    ("POST", f"{PILOT}/notes", {}, (302, 403, 422, 422, 422, 422)),
    ("POST", f"{PILOT}/spend", {}, (302, 403, 422, 422, 422, 422)),
    ("GET", f"{PILOT}/sign-off", None, (302, 403, 403, 403, 200, 200)),
    ("POST", f"{PILOT}/sign-off", {}, (302, 403, 403, 403, 422, 422)),
    ("GET", f"{PILOT}/week", None, (302, 403, 200, 200, 200, 200)),
    ("GET", "/approvals", None, (302, 200, 200, 200, 200, 200)),
    ("GET", "/backlog", None, (302, 200, 200, 200, 200, 200)),
    ("GET", "/learnings", None, (302, 200, 200, 200, 200, 200)),
    ("GET", "/initiatives", None, (302, 200, 200, 200, 200, 200)),
    ("POST", "/notes/999/stance", {}, (302, 403, 404, 404, 404, 404)),
    ("POST", "/initiatives", {}, (302, 403, 422, 422, 422, 422)),
    ("POST", "/initiatives/nope/adopt", {}, (302, 403, 404, 404, 404, 404)),
    # The running pilot has no decision, so no card: past the permission check, a 404.
    ("GET", "/learnings/x-care-1h", None, (302, 404, 404, 404, 404, 404)),
    ("POST", "/learnings/x-care-1h", {}, (302, 403, 403, 403, 404, 404)),
    ("POST", "/learnings/x-care-1h/publish", {}, (302, 403, 403, 403, 404, 404)),
    ("POST", "/learnings/x-care-1h/feedback", {}, (302, 404, 404, 404, 404, 404)),
    ("POST", "/backlog", {}, (302, 403, 422, 422, 422, 422)),
    ("POST", "/hypotheses/fast-social-care/scores", {"impact": "9"},
     (302, 403, 422, 422, 422, 422)),
    # A running pilot is no draft: past the permission check, approving it is a 422.
    ("POST", f"{PILOT}/approve", {}, (302, 403, 403, 403, 422, 422)),
    ("POST", f"{PILOT}/week", {}, (302, 403, 422, 422, 422, 422)),
    ("GET", f"{PILOT}/template.csv", None, (302, 403, 200, 200, 200, 200)),
    ("GET", "/reports/portfolio.html", None, (302, 200, 200, 200, 200, 200)),
    ("GET", f"{PILOT}/report.html", None, (302, 200, 200, 200, 200, 200)),
    ("GET", f"{PILOT}/brief.pdf", None, (302, 200, 200, 200, 200, 200)),
    ("GET", f"{PILOT}/signed-brief.pdf", None, (302, 404, 404, 404, 404, 404)),
    ("GET", "/account", None, (302, 200, 200, 200, 200, 200)),
    ("POST", "/account/password", {"current_password": "wrong password"},
     (302, 422, 422, 422, 422, 422)),
    ("POST", "/account/tokens", {}, (302, 403, 403, 422, 422, 422)),
    ("POST", "/account/tokens/999/revoke", {}, (302, 403, 403, 404, 404, 404)),
    ("POST", "/account/notices", {}, (302, 302, 302, 302, 302, 302)),
    ("GET", "/admin/users", None, (302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/users", {}, (302, 403, 403, 403, 403, 422)),
    ("POST", "/admin/users/999/role", {"role": "admin"}, (302, 403, 403, 403, 403, 404)),
    ("POST", "/admin/users/999/disable", {}, (302, 403, 403, 403, 403, 404)),
    ("GET", "/admin/catalogues", None, (302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/catalogues", {}, (302, 403, 403, 403, 403, 422)),
    ("GET", "/admin/audit", None, (302, 403, 403, 403, 403, 200)),
    ("GET", "/admin/notices", None, (302, 403, 403, 403, 403, 200)),
    ("GET", f"{API}/openapi.json", None, (200, 200, 200, 200, 200, 200)),
    ("GET", f"{API}/hypotheses", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}/hypotheses/fast-social-care", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}/pilots", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}/tables", None, (401, 403, 403, 200, 200, 200)),
    ("GET", f"{API}/tables/pilots", None, (401, 403, 403, 200, 200, 200)),
    ("POST", f"{API}/pilots", {}, (401, 403, 422, 422, 422, 422)),
    ("GET", f"{API}{PILOT}", None, (401, 200, 200, 200, 200, 200)),
    ("POST", f"{API}{PILOT}/start", None, (401, 403, 409, 409, 409, 409)),
    ("POST", f"{API}{PILOT}/resume", None, (401, 403, 409, 409, 409, 409)),
    ("POST", f"{API}/pilots/nope/pause", None, (401, 403, 404, 404, 404, 404)),
    ("GET", f"{API}{PILOT}/standby", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}{PILOT}/observations", None, (401, 200, 200, 200, 200, 200)),
    ("POST", f"{API}{PILOT}/observations", {}, (401, 403, 422, 422, 422, 422)),
    ("GET", f"{API}{PILOT}/check", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}{PILOT}/decisions", None, (401, 200, 200, 200, 200, 200)),
    ("POST", f"{API}{PILOT}/decisions", {}, (401, 403, 403, 403, 422, 422)),
    ("GET", f"{API}{PILOT}/notes", None, (401, 200, 200, 200, 200, 200)),
    ("POST", f"{API}{PILOT}/notes", {}, (401, 403, 422, 422, 422, 422)),
    ("GET", f"{API}{PILOT}/spend", None, (401, 200, 200, 200, 200, 200)),
    ("POST", f"{API}{PILOT}/spend", {}, (401, 403, 422, 422, 422, 422)),
    ("GET", f"{API}/approvals", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}/backlog", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}/learnings", None, (401, 200, 200, 200, 200, 200)),
    ("GET", f"{API}/initiatives", None, (401, 200, 200, 200, 200, 200)),
    ("POST", f"{API}/notes/999/stance", {}, (401, 403, 404, 404, 404, 404)),
    ("GET", f"{API}/programme/figures", None, (401, 200, 200, 200, 200, 200)),
    ("POST", f"{API}/initiatives", {}, (401, 403, 422, 422, 422, 422)),
    ("POST", f"{API}/initiatives/nope/adopt", None, (401, 403, 404, 404, 404, 404)),
    ("GET", f"{API}/learnings/x-care-1h", None, (401, 404, 404, 404, 404, 404)),
    ("POST", f"{API}/learnings/x-care-1h", {}, (401, 403, 403, 403, 404, 404)),
    ("POST", f"{API}/learnings/x-care-1h/publish", None, (401, 403, 403, 403, 404, 404)),
    ("POST", f"{API}/learnings/x-care-1h/feedback", {}, (401, 422, 422, 422, 422, 422)),
    ("POST", f"{API}/backlog", {}, (401, 403, 422, 422, 422, 422)),
    ("POST", f"{API}/hypotheses/fast-social-care/scores", {"impact": 9},
     (401, 403, 422, 422, 422, 422)),
    ("POST", f"{API}{PILOT}/approval", {}, (401, 403, 403, 403, 422, 422)),
    ("GET", f"{API}/tokens", None, (401, 403, 403, 200, 200, 200)),
    ("POST", f"{API}/tokens", {}, (401, 403, 403, 422, 422, 422)),
    ("DELETE", f"{API}/tokens/999", None, (401, 403, 403, 404, 404, 404)),
]
# Signing in and out are open to everyone and tested in test_auth.
UNLISTED = {("auth.login", "GET"), ("auth.login", "POST"), ("auth.logout", "POST"),
            ("static", "GET")}


def call(client, method: str, path: str, body: dict | None, token: str):
    """Send one request the way a browser (forms) or a script (API, JSON) would."""
    if path.startswith(API):
        headers = {"X-CSRFToken": token}
        if body is None:
            return client.open(path, method=method, headers=headers)
        return client.open(path, method=method, json=body, headers=headers)
    if method == "GET":
        return client.get(path)
    return client.post(path, data={**(body or {}), "csrf_token": token})


def test_the_matrix_covers_every_route_and_method(app):
    urls = app.url_map.bind("localhost")
    covered = {(urls.match(path, method)[0], method) for method, path, _, _ in MATRIX}
    routed = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed - UNLISTED == covered


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_the_expected_status_everywhere(app, people, running, role):
    client = app.test_client()
    if role != "anonymous":
        assert sign_in(client, people[role]).status_code == 302
    token = csrf_token(client)
    column = ROLES.index(role)
    wrong = []
    for method, path, body, expected in MATRIX:
        got = call(client, method, path, body, token).status_code
        if got != expected[column]:
            wrong.append(f"{method} {path}: expected {expected[column]}, got {got}")
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)
