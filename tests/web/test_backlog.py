"""The backlog through the web and the API: ranking, scoring, filters, refusals."""

from __future__ import annotations

from lab import db
from lab.pilots import audit
from tests.web.conftest import post_form

API = "/api/v1"
IDEA = {"key": "forum-cocreate", "statement": "Forum members who co-design a feature stay",
        "process": "product-co-creation", "expected_benefit": "12-month churn of members "
        "falls", "owner": "sara@bank.example", "function": "product",
        "expected_value": "3", "expected_unit": "points of churn",
        "impact": "4", "fit": "5", "effort": "2", "confidence": "3"}


def test_members_add_and_score_and_the_page_ranks(app, signed_in, running):
    member = signed_in("member")
    added = post_form(member, "/backlog", {**IDEA, "sponsors": ["product", "marketing"]})
    assert added.status_code == 302, added.get_data(as_text=True)
    scored = post_form(member, "/hypotheses/fast-social-care/scores",
                       {"impact": "2", "fit": "2", "effort": "4", "confidence": "2"})
    assert scored.status_code == 302
    page = signed_in("viewer").get("/backlog").get_data(as_text=True)
    assert page.index("forum-cocreate") < page.index("fast-social-care")
    assert "3.0 points of churn" in page and "How well the scores predicted" in page
    assert "Add a hypothesis" not in page  # viewers read only
    with app.app_context(), db.reading(db.engine()) as session:
        assert [e.actor for e in audit.events(session, object_key="forum-cocreate",
                                              action="score")] == ["member@lab.example"]


def test_the_page_filters_and_refuses_a_bad_filter(signed_in, running):
    client = signed_in("viewer")
    page = client.get("/backlog?process=onboarding").get_data(as_text=True)
    assert "No hypothesis matches" in page
    bad = client.get("/backlog?band=huge")
    assert bad.status_code == 400 and "band: must be one of" in bad.get_data(as_text=True)


def test_a_bad_form_is_refused_naming_the_field_and_keeps_the_input(app, signed_in):
    response = post_form(signed_in("member"), "/backlog", {**IDEA, "impact": "7",
                                                           "sponsors": ["product"]})
    shown = response.get_data(as_text=True)
    assert response.status_code == 422 and "impact" in shown and "forum-cocreate" in shown
    assert "No hypothesis matches" in signed_in("viewer").get("/backlog").get_data(
        as_text=True)


def test_the_api_lists_adds_scores_and_calibrates(app, signed_in, running):
    client = signed_in("analyst")
    headers = {"X-CSRFToken": _csrf(client)}
    body = {"hypothesis": {"key": "callback", "statement": "A call-back keeps leavers",
                           "process": "retention", "expected_benefit": "fewer leave",
                           "sponsors": ["service"], "owner": "omar@bank.example"},
            "function": "service", "impact": 5, "fit": 4, "effort": 3, "confidence": 4}
    created = client.post(f"{API}/backlog", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["priority"] == 78.1 and created.get_json()["band"] == "high"
    again = client.post(f"{API}/backlog", json=body, headers=headers)
    assert again.status_code == 409
    rescored = client.post(f"{API}/hypotheses/callback/scores", json={"effort": 5},
                           headers=headers)
    assert rescored.get_json()["effort"] == 5 and rescored.get_json()["impact"] == 5
    listed = client.get(f"{API}/backlog?band=medium").get_json()
    assert [entry["hypothesis"] for entry in listed["entries"]] == ["callback"]
    assert listed["weights"] == {"impact": 3.0, "fit": 2.0, "effort": 2.0, "confidence": 1.0}
    assert [band["band"] for band in listed["calibration"]] == ["high", "medium", "low",
                                                                "unscored"]
    everything = client.get(f"{API}/backlog").get_json()["entries"]
    assert everything[-1]["hypothesis"] == "fast-social-care"  # unscored: last
    assert everything[-1]["pilots"] == ["x-care-1h"]


def test_the_api_refuses_bad_input_naming_the_field(signed_in, running):
    client = signed_in("member")
    headers = {"X-CSRFToken": _csrf(client)}
    bad = client.post(f"{API}/hypotheses/fast-social-care/scores", json={"fit": 0},
                      headers=headers)
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "fit"
    unknown = client.post(f"{API}/hypotheses/nope/scores", json={"fit": 3}, headers=headers)
    assert unknown.status_code == 404
    query = client.get(f"{API}/backlog?state=great")
    assert query.status_code == 422 and query.get_json()["problems"][0]["field"] == "state"
    assert post_form(signed_in("viewer"), "/hypotheses/fast-social-care/scores",
                     {"fit": "3"}).status_code == 403


def _csrf(client) -> str:
    from tests.web.conftest import csrf_token

    return csrf_token(client, "/account")
