"""Approval before start through the web and the API: the queue, four eyes, roles."""

from __future__ import annotations

import pytest

from lab import accounts, db
from lab.pilots import approval, audit
from lab.pilots.find import get_pilot
from tests.factories import make_spec, register_pilot
from tests.web.conftest import post_form, write

API = "/api/v1"
KEY = "x-care-1h"


@pytest.fixture
def draft(app, session, people):
    """Turn approval on (the lab's default) and register a draft, owned by ana@bank.example."""
    app.config["APPROVAL"] = True
    register_pilot(session)
    return KEY


def token_of(app, email: str, scope: str = "write") -> dict[str, str]:
    def create(session):
        return accounts.create_token(session, user=accounts.find_user(session, email),
                                     name="tests", scope=scope)[1]
    return {"Authorization": f"Bearer {write(app, create)}"}


def status_of(app, key: str = KEY) -> str:
    with app.app_context(), db.reading(db.engine()) as session:
        return get_pilot(session, key).status


def plan_hash_of(app, key: str = KEY) -> str:
    with app.app_context(), db.reading(db.engine()) as session:
        return approval.plan_hash(get_pilot(session, key).plan)


def test_the_queue_shows_the_draft_and_only_managers_get_the_form(signed_in, draft):
    viewer = signed_in("viewer").get("/approvals").get_data(as_text=True)
    assert "awaiting approval" in viewer and KEY in viewer and "Approve plan" not in viewer
    manager = signed_in("manager").get("/approvals").get_data(as_text=True)
    assert "Approve plan" in manager
    pilot_page = signed_in("member").get(f"/pilots/{KEY}").get_data(as_text=True)
    assert "Awaiting approval" in pilot_page


def test_web_approve_then_start(app, signed_in, draft):
    member = signed_in("member")
    refused = post_form(member, f"/pilots/{KEY}/start")
    assert refused.status_code == 409 and "must approve its plan first" in \
        refused.get_data(as_text=True)
    assert status_of(app) == "draft"
    manager = signed_in("manager")
    done = post_form(manager, f"/pilots/{KEY}/approve",
                     {"plan_hash": plan_hash_of(app), "note": "fits the quarter's budget"})
    assert done.status_code == 302
    assert "Approved</strong> by manager@lab.example" in \
        member.get(f"/pilots/{KEY}").get_data(as_text=True)
    assert post_form(member, f"/pilots/{KEY}/start").status_code == 302
    assert status_of(app) == "running"


@pytest.mark.parametrize(("role", "expected"), [("viewer", 403), ("member", 403),
                                                ("analyst", 403)])
def test_below_manager_cannot_approve(app, signed_in, draft, role, expected):
    response = post_form(signed_in(role), f"/pilots/{KEY}/approve",
                         {"plan_hash": plan_hash_of(app)})
    assert response.status_code == expected
    with app.app_context(), db.reading(db.engine()) as session:
        assert audit.events(session, object_key=KEY, action="approve") == []


def test_the_registrant_cannot_approve_their_own_plan_but_another_manager_can(app, signed_in,
                                                                            people):
    app.config["APPROVAL"] = True
    spec = make_spec(key="x-tone", pilot={"start": "2026-03-01", "end": "2026-05-01"})
    manager = token_of(app, people["manager"])
    assert app.test_client().post(f"{API}/pilots", json=spec, headers=manager) \
        .status_code == 200
    refused = app.test_client().post(f"{API}/pilots/x-tone/approval", json={},
                                     headers=manager)
    assert refused.status_code == 403
    assert refused.get_json()["problems"][0]["field"] == "approver"
    page = signed_in("manager").get("/approvals").get_data(as_text=True)
    assert "registered or edited the plan" in page
    admin = token_of(app, people["admin"])
    assert app.test_client().post(f"{API}/pilots/x-tone/approval", json={"note": "ok"},
                                  headers=admin).status_code == 201


def test_api_queue_approve_and_start(app, people, draft):
    client = app.test_client()
    manager = token_of(app, people["manager"])
    queue = client.get(f"{API}/approvals", headers=token_of(app, people["analyst"], "read"))
    [entry] = queue.get_json()["drafts"]
    assert queue.get_json()["required"] is True
    assert entry["status"] == "awaiting" and entry["may_approve"] is False
    member = token_of(app, people["analyst"])  # members have no tokens; analysts write too
    assert client.post(f"{API}/pilots/{KEY}/start", headers=member).status_code == 409
    approved = client.post(f"{API}/pilots/{KEY}/approval",
                           json={"plan_hash": entry["plan_hash"]}, headers=manager)
    assert approved.status_code == 201, approved.get_json()
    assert approved.get_json()["approved_by"] == people["manager"]
    again = client.post(f"{API}/pilots/{KEY}/approval", json={}, headers=manager)
    assert again.status_code == 409
    assert client.post(f"{API}/pilots/{KEY}/start", headers=member).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"note": "x" * 2001}, "note"),
    ({"plan_hash": "not-a-hash"}, "plan_hash"),
    ({"approver": "me"}, "approver"),
])
def test_api_refuses_bad_input_naming_the_field(app, people, draft, body, field):
    response = app.test_client().post(f"{API}/pilots/{KEY}/approval", json=body,
                                      headers=token_of(app, people["manager"]))
    assert response.status_code == 422
    assert [problem["field"] for problem in response.get_json()["problems"]] == [field]
    assert plan_hash_of(app) and status_of(app) == "draft"


def test_a_stale_version_is_not_approved(app, people, draft):
    response = app.test_client().post(f"{API}/pilots/{KEY}/approval",
                                      json={"plan_hash": "0" * 64},
                                      headers=token_of(app, people["manager"]))
    assert response.status_code == 409 and "changed since it was read" in \
        response.get_json()["message"]


def test_a_read_token_cannot_approve(app, people, draft):
    response = app.test_client().post(f"{API}/pilots/{KEY}/approval", json={},
                                      headers=token_of(app, people["manager"], "read"))
    assert response.status_code == 403


def test_with_approval_off_the_queue_says_so_and_drafts_start(app, signed_in, draft):
    app.config["APPROVAL"] = False
    assert "approval turned off" in signed_in("viewer").get("/approvals").get_data(as_text=True)
    assert post_form(signed_in("member"), f"/pilots/{KEY}/start").status_code == 302
