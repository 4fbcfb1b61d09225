"""Learning cards through the web and the API: the signer edits and publishes, the team
reads every card, viewers read published ones and leave feedback (their one write)."""

from __future__ import annotations

import pytest

from lab import db
from lab.pilots import audit, decisions
from tests.web.conftest import csrf_token, post_form, write

API = "/api/v1"
KEY = "x-care-1h"
RECOMMENDATION = {"outcome": "scale_up", "reasons": ["The primary beat its minimum effect"],
                  "metrics": []}


@pytest.fixture
def decided(app, people, running):
    """x-care-1h signed off (scale up) by the test manager."""
    write(app, lambda s: decisions.sign_off(s, pilot_key=KEY, outcome="scale_up",
                                            rationale="", decided_by=people["manager"],
                                            recommendation=RECOMMENDATION))
    return KEY


def headers(client) -> dict[str, str]:
    return {"X-CSRFToken": csrf_token(client, "/account")}


def test_the_signer_edits_and_publishes_then_viewers_read_and_give_feedback(app, signed_in,
                                                                            decided):
    viewer = signed_in("viewer")
    assert viewer.get(f"/learnings/{KEY}").status_code == 404  # not published yet
    assert "No learning card matches" in viewer.get("/learnings").get_data(as_text=True)
    member_view = signed_in("member").get("/learnings").get_data(as_text=True)
    assert "The primary beat its minimum effect" in member_view  # the team sees drafts
    manager = signed_in("manager")
    page = manager.get(f"/learnings/{KEY}").get_data(as_text=True)
    assert "Edit the card" in page and "Publish for the company" in page
    saved = post_form(manager, f"/learnings/{KEY}",
                      {"learned": "Speed beat tone: answer first, polish later",
                       "tags": "speed, x"})
    assert saved.status_code == 302
    assert post_form(manager, f"/learnings/{KEY}/publish").status_code == 302
    shown = viewer.get(f"/learnings/{KEY}").get_data(as_text=True)
    assert "Speed beat tone" in shown and "Edit the card" not in shown
    sent = post_form(viewer, f"/learnings/{KEY}/feedback",
                     {"text": "Branch staff see the same with walk-in complaints"})
    assert sent.status_code == 302
    assert "walk-in complaints" in manager.get(f"/learnings/{KEY}").get_data(as_text=True)
    found = viewer.get("/learnings?q=polish&tag=speed").get_data(as_text=True)
    assert "One-hour reply desk on X" in found and "1 feedback" in found
    with app.app_context(), db.reading(db.engine()) as session:
        actions = [e.action for e in audit.events(session, object_key=KEY)]
    assert {"learning.save", "learning.publish", "learning.feedback"} <= set(actions)


def test_another_manager_may_not_edit_the_signers_card(app, signed_in, decided):
    admin = signed_in("admin")
    assert "Edit the card" not in admin.get(f"/learnings/{KEY}").get_data(as_text=True)
    refused = post_form(admin, f"/learnings/{KEY}", {"learned": "mine now"})
    assert refused.status_code == 403 and "who signed the decision" in \
        refused.get_data(as_text=True)


def test_bad_input_is_refused_naming_the_field(signed_in, decided):
    manager = signed_in("manager")
    refused = post_form(manager, f"/learnings/{KEY}", {"learned": "  "})
    assert refused.status_code == 422 and "learned" in refused.get_data(as_text=True)
    assert signed_in("viewer").get("/learnings?outcome=won").status_code == 400
    assert post_form(signed_in("viewer"), f"/learnings/{KEY}/feedback",
                     {"text": "x"}).status_code == 404  # not published


def test_the_api_edits_publishes_searches_and_takes_feedback(signed_in, decided):
    manager = signed_in("manager")
    edited = manager.post(f"{API}/learnings/{KEY}", json={"tags": "speed"},
                          headers=headers(manager))
    assert edited.status_code == 200 and edited.get_json()["tags"] == ["speed"]
    published = manager.post(f"{API}/learnings/{KEY}/publish", headers=headers(manager))
    assert published.status_code == 200 and published.get_json()["published_at"]
    again = manager.post(f"{API}/learnings/{KEY}/publish", headers=headers(manager))
    assert again.status_code == 409
    viewer = signed_in("viewer")
    given = viewer.post(f"{API}/learnings/{KEY}/feedback", json={"text": "Useful"},
                        headers=headers(viewer))
    assert given.status_code == 201 and given.get_json()["author"] == "viewer@lab.example"
    card = viewer.get(f"{API}/learnings/{KEY}").get_json()
    assert [f["text"] for f in card["feedback"]] == ["Useful"]
    hits = viewer.get(f"{API}/learnings?q=minimum+effect&outcome=scaled_up").get_json()
    assert [entry["pilot"] for entry in hits["learnings"]] == [KEY]
    bad = viewer.get(f"{API}/learnings?outcome=won")
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "outcome"
    blank = viewer.post(f"{API}/learnings/{KEY}/feedback", json={"text": ""},
                        headers=headers(viewer))
    assert blank.status_code == 422 and blank.get_json()["problems"][0]["field"] == "text"
    refused = viewer.post(f"{API}/learnings/{KEY}", json={"learned": "x"},
                          headers=headers(viewer))
    assert refused.status_code == 403
