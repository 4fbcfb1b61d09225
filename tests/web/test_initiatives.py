"""Initiatives elsewhere through the web and the API: register, map, warn, adopt."""

from __future__ import annotations

from tests.web.conftest import csrf_token, post_form

API = "/api/v1"
DESK = {"key": "branch-x-desk", "name": "Branch complaints answered on X",
        "function": "service", "channel": "x", "process": "retention",
        "start_date": "2026-02-01", "status": "running",
        "measures": "complaints resolved within a day", "contact": "lea@bank.example"}


def test_register_map_warn_and_adopt_on_the_web(signed_in, running):
    member = signed_in("member")
    assert post_form(member, "/initiatives", DESK).status_code == 302
    page = signed_in("viewer").get("/initiatives").get_data(as_text=True)
    assert "Branch complaints answered on X" in page and "elsewhere" in page
    assert "initiative branch-x-desk (outside the lab) overlaps pilot x-care-1h" in page
    assert "Adopt as a hypothesis" not in page  # viewers read only
    pilot_page = member.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "initiative branch-x-desk (outside the lab) overlaps" in pilot_page
    adopted = post_form(member, "/initiatives/branch-x-desk/adopt")
    assert adopted.status_code == 302
    assert adopted.headers["Location"].endswith("/register?hypothesis=branch-x-desk")
    form = member.get(adopted.headers["Location"]).get_data(as_text=True)
    assert "Branch complaints answered on X, tested by the lab" in form
    again = post_form(member, "/initiatives/branch-x-desk/adopt")
    assert again.status_code == 409 and "already adopted" in again.get_data(as_text=True)


def test_a_bad_initiative_is_refused_naming_the_field_and_keeps_the_input(signed_in):
    response = post_form(signed_in("member"), "/initiatives", {**DESK, "contact": "lea"})
    shown = response.get_data(as_text=True)
    assert response.status_code == 422 and "contact:" in shown and "branch-x-desk" in shown
    assert post_form(signed_in("viewer"), "/initiatives", DESK).status_code == 403


def test_the_api_registers_lists_and_adopts(signed_in, running):
    client = signed_in("analyst")
    headers = {"X-CSRFToken": csrf_token(client, "/account")}
    made = client.post(f"{API}/initiatives", json=DESK, headers=headers)
    assert made.status_code == 200, made.get_json()
    listed = client.get(f"{API}/initiatives").get_json()
    assert [i["key"] for i in listed["initiatives"]] == ["branch-x-desk"]
    assert listed["clashes"][0]["pilot"] == "x-care-1h"
    cell = next(c for c in listed["coverage"] if (c["process"], c["channel"]) ==
                ("retention", "x"))
    assert cell == {"process": "retention", "channel": "x", "pilots": ["x-care-1h"],
                    "initiatives": ["branch-x-desk"]}
    adopted = client.post(f"{API}/initiatives/branch-x-desk/adopt", headers=headers)
    assert adopted.status_code == 201 and adopted.get_json()["hypothesis"] == "branch-x-desk"
    bad = client.post(f"{API}/initiatives", json={**DESK, "end_date": "2026-01-01"},
                      headers=headers)
    assert bad.status_code == 422 and "end_date must not be before start_date" in \
        bad.get_json()["message"]
    unknown = client.post(f"{API}/initiatives", json={**DESK, "budget": 1}, headers=headers)
    assert unknown.get_json()["problems"][0]["field"] == "budget"
