"""Sign-off: managers only, never the owner, rationale when departing, one decision only."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from lab import accounts, db
from lab.analysis.pipeline import recommend_pilots
from lab.pilots.find import get_pilot
from lab.web.serve import in_thread, stop
from tests.factories import OWNER
from tests.web.conftest import PASSWORD, csrf_token, post_form, sign_in, write


def recommended(app) -> str:
    with app.app_context(), db.reading(db.engine()) as session:
        return recommend_pilots(session, ["x-care-1h"])["x-care-1h"].to_dict()["outcome"]


def other_than(outcome: str) -> str:
    return "withdraw" if outcome != "withdraw" else "scale_up"


def status_of(app, key="x-care-1h") -> str:
    with app.app_context(), db.reading(db.engine()) as session:
        return get_pilot(session, key).status


def test_a_manager_signs_off_the_recommended_outcome(app, signed_in, running):
    outcome = recommended(app)
    chosen = outcome if outcome != "continue" else "withdraw"
    data = {"outcome": chosen, "rationale": "" if chosen == outcome else "Budget is needed"}
    client = signed_in("manager")
    response = post_form(client, "/pilots/x-care-1h/sign-off", data)
    assert response.status_code == 302
    assert status_of(app) == {"scale_up": "scaled_up", "revise": "revised",
                              "withdraw": "withdrawn"}[chosen]
    page = client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "manager@lab.example" in page  # in the decision history
    # The flash links to the card drafted from the decision, for the signer to edit.
    assert ('learning card is drafted: <a href="/learnings/x-care-1h">read and edit it</a>'
            in page)
    assert client.get("/learnings/x-care-1h").status_code == 200


def test_departing_from_the_recommendation_needs_a_rationale(app, signed_in, running):
    outcome = other_than(recommended(app))
    response = post_form(signed_in("manager"), "/pilots/x-care-1h/sign-off",
                         {"outcome": outcome, "rationale": " "})
    assert response.status_code == 422
    assert 'id="rationale-error"' in response.get_data(as_text=True)
    assert status_of(app) == "running"


def test_revise_drafts_the_next_iteration(app, signed_in, running):
    client = signed_in("manager")
    response = post_form(client, "/pilots/x-care-1h/sign-off",
                         {"outcome": "revise", "rationale": "Reply templates need work"})
    assert response.status_code == 302
    assert status_of(app, "x-care-1h-i2") == "draft"
    page = client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "x-care-1h-i2, is drafted" in page


def test_the_owner_may_not_sign_off(app, running):
    write(app, lambda s: accounts.add_user(s, email=OWNER, password=PASSWORD, role="manager",
                                           actor="test"))
    client = app.test_client()
    sign_in(client, OWNER)
    assert client.get("/pilots/x-care-1h/sign-off").status_code == 403
    assert post_form(client, "/pilots/x-care-1h/sign-off",
                     {"outcome": "withdraw", "rationale": "mine"}).status_code == 403
    assert "Sign off a decision" not in client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert status_of(app) == "running"


def test_a_closed_pilot_cannot_be_signed_off_again(app, signed_in, running):
    client = signed_in("manager")
    post_form(client, "/pilots/x-care-1h/sign-off",
              {"outcome": "withdraw", "rationale": "Stop it"})
    again = post_form(signed_in("admin"), "/pilots/x-care-1h/sign-off",
                      {"outcome": "withdraw", "rationale": "Stop it"})
    assert again.status_code == 409
    assert "already signed off" in again.get_data(as_text=True)


def session_cookie(app, email) -> tuple[str, str]:
    """Sign in with a test client; return its session cookie and a CSRF token."""
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    token = csrf_token(client)
    return client.get_cookie("session").value, token


def post_over_http(url: str, cookie: str, data: dict) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(),
                                     headers={"Cookie": f"session={cookie}"}, method="POST")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_two_managers_at_once_one_wins_and_the_other_gets_a_conflict(app, people, running):
    sessions = [session_cookie(app, people[role]) for role in ("manager", "admin")]
    server, base = in_thread(app)
    statuses: list[int] = []
    start = threading.Barrier(2)

    def sign(cookie_and_token):
        cookie, token = cookie_and_token
        start.wait()
        statuses.append(post_over_http(f"{base}/pilots/x-care-1h/sign-off", cookie, {
            "outcome": "withdraw", "rationale": "Stop it", "csrf_token": token}))

    try:
        threads = [threading.Thread(target=sign, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        stop(server)
    assert sorted(statuses) == [302, 409]
    assert status_of(app) == "withdrawn"


def test_a_manager_who_registered_and_started_a_pilot_may_not_sign_it_off(app, signed_in):
    # Four eyes (issue 10 item 12): the plan names ana as owner, but the manager
    # registered and started it, so neither they nor ana may sign it off.
    from lab.pilots.observations import record_observations  # noqa: PLC0415
    from tests.factories import make_spec, observation_rows  # noqa: PLC0415
    from tests.web.test_forms import form_fields  # noqa: PLC0415

    manager = signed_in("manager")
    assert post_form(manager, "/register", form_fields(make_spec())).status_code == 302
    assert post_form(manager, "/pilots/x-care-1h/start").status_code == 302
    write(app, lambda s: record_observations(s, rows=observation_rows(periods=3),
                                             actor="manager@lab.example"))
    assert manager.get("/pilots/x-care-1h/sign-off").status_code == 403
    refused = post_form(manager, "/pilots/x-care-1h/sign-off",
                        {"outcome": "withdraw", "rationale": "mine"})
    assert refused.status_code == 403
    assert "registered pilot" in refused.get_data(as_text=True)
    assert "Sign off a decision" not in manager.get("/pilots/x-care-1h").get_data(as_text=True)
    assert status_of(app) == "running"
    admin = signed_in("admin")
    assert "Sign off a decision" in admin.get("/pilots/x-care-1h").get_data(as_text=True)
