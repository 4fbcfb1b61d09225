"""The JSON API: bearer tokens, CSRF for cookies only, validation, idempotent batches."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlmodel import select

from lab import accounts, db
from lab.analysis.pipeline import recommend_pilots
from lab.models import ApiToken, Observation
from lab.pilots import audit
from lab.pilots.plans import PreregistrationError, parse
from tests.factories import OWNER, make_spec
from tests.web.conftest import PASSWORD, csrf_token, post_form, write

API = "/api/v1"
ROWS = [{"metric": "churn-90d", "arm": arm, "period": "2026-03-02", "successes": 40,
         "trials": 400} for arm in ("pilot", "control")]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def observation_count(app) -> int:
    with app.app_context(), db.reading(db.engine()) as session:
        return len(session.exec(select(Observation)).all())


def test_a_token_is_shown_once_on_the_account_page_and_stored_hashed(app, signed_in):
    client = signed_in("analyst")
    response = post_form(client, "/account/tokens", {"name": "weekly import"})
    assert response.status_code == 201
    secret = response.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("lab_")
    assert secret not in client.get("/account").get_data(as_text=True)
    with app.app_context(), db.reading(db.engine()) as session:
        [stored] = session.exec(select(ApiToken)).all()
        assert stored.token_hash == accounts.token_digest(secret)
    assert app.test_client().get(f"{API}/pilots", headers=bearer(secret)).status_code == 200


def test_members_cannot_create_tokens(signed_in):
    assert post_form(signed_in("member"), "/account/tokens", {"name": "x"}).status_code == 403


def test_token_calls_need_no_csrf_but_cookie_calls_do(app, client, signed_in, token,
                                                     running):
    note = {"kind": "risk", "noted_on": "2026-02-01", "source": "desk", "text": "Queue"}
    by_token = client.post(f"{API}/pilots/x-care-1h/notes", json=note, headers=bearer(token))
    assert by_token.status_code == 201 and by_token.json["recorded_by"] == "analyst@lab.example"
    browser = signed_in("member")
    refused = browser.post(f"{API}/pilots/x-care-1h/notes", json=note)
    assert refused.status_code == 400 and "CSRF" in refused.json["message"]
    accepted = browser.post(f"{API}/pilots/x-care-1h/notes", json=note,
                            headers={"X-CSRFToken": csrf_token(browser)})
    assert accepted.status_code == 201
    assert len(client.get(f"{API}/pilots/x-care-1h/notes", headers=bearer(token))
               .json["notes"]) == 2


@pytest.mark.parametrize("header", ["Bearer lab_unknown", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "lab_unknown"])
def test_bad_credentials_are_401_in_json_and_audited(app, client, people, header):
    response = client.get(f"{API}/pilots", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"] == "Unauthorized" and "token" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context(), db.reading(db.engine()) as session:
        [event] = audit.events(session, action="denied.unauthenticated")
        assert event.object_key == "GET /api/v1/pilots"


def test_a_revoked_token_stops_working(app, client, token):
    listed = client.get(f"{API}/tokens", headers=bearer(token)).json["tokens"]
    [token_id] = [entry["id"] for entry in listed]
    assert client.delete(f"{API}/tokens/{token_id}", headers=bearer(token)).status_code == 204
    assert client.get(f"{API}/pilots", headers=bearer(token)).status_code == 401


def test_tokens_are_created_through_the_api_too(client, token):
    created = client.post(f"{API}/tokens", json={"name": "second"}, headers=bearer(token))
    assert created.status_code == 201 and created.json["secret"].startswith("lab_")
    assert client.get(f"{API}/hypotheses", headers=bearer(created.json["secret"])
                      ).status_code == 200


def test_registration_through_the_api_matches_the_toml_rules(app, client, token):
    spec = make_spec()
    created = client.post(f"{API}/pilots", json=spec, headers=bearer(token))
    assert created.status_code == 200 and created.json["created"] == ["x-care-1h"]
    again = client.post(f"{API}/pilots", json=spec, headers=bearer(token))
    assert again.json["unchanged"] == ["x-care-1h"]
    bad = make_spec(pilot={"end": "2025-01-01", "colour": "blue"})
    refused = client.post(f"{API}/pilots", json=bad, headers=bearer(token))
    assert refused.status_code == 422
    with pytest.raises(PreregistrationError) as expected:
        parse(bad)
    assert {p["field"] for p in refused.json["problems"]} == {
        where for where, _ in expected.value.problems}
    assert {"field": "pilot.colour", "reason": "unknown field (not part of this request's "
                                               "schema)"} in refused.json["problems"]


def test_starting_through_the_api(client, token):
    client.post(f"{API}/pilots", json=make_spec(), headers=bearer(token))
    started = client.post(f"{API}/pilots/x-care-1h/start", headers=bearer(token))
    assert started.status_code == 200 and started.json["status"] == "running"
    again = client.post(f"{API}/pilots/x-care-1h/start", headers=bearer(token))
    assert again.status_code == 409 and "already running" in again.json["message"]


def test_a_batch_of_observations_is_idempotent(app, client, token, running):
    before = observation_count(app)
    first = client.post(f"{API}/pilots/x-care-1h/observations", json={"rows": ROWS},
                        headers=bearer(token))
    assert first.status_code == 200
    assert first.json == {"rows": 2, "inserted": 2, "unchanged": 0, "corrected": 0}
    again = client.post(f"{API}/pilots/x-care-1h/observations", json={"rows": ROWS},
                        headers=bearer(token))
    assert again.json == {"rows": 2, "inserted": 0, "unchanged": 2, "corrected": 0}
    assert observation_count(app) == before + 2


def test_a_row_outside_the_plan_window_is_refused_naming_it(client, token, running):
    row = {"metric": "churn-90d", "arm": "pilot", "period": "2300-01-02", "successes": 1,
           "trials": 2}
    response = client.post(f"{API}/pilots/x-care-1h/observations",
                           json={"rows": [dict(row, period="2026-03-02"), row]},
                           headers=bearer(token))
    assert response.status_code == 422
    [problem] = response.json["problems"]
    assert problem["field"] == "rows[#2].period"
    assert problem["reason"].startswith("2300-01-02 is after the pilot's end 2026-03-29")


@pytest.mark.parametrize(("values", "status"), [
    ({"n": 30, "mean": -12.5, "sd": 4.0}, 200),  # a balance change can fall (issue 12)
    ({"n": 30, "mean": 2.0, "sd": 1e12}, 200),  # no cap borrowed from the money type
    ({"n": 30, "mean": 2.0, "sd": 2e12}, 422),  # past the bound lab.kinds declares
    ({"n": 30, "mean": -1e308, "sd": 1.0}, 422),
    ({"n": 0, "mean": 2.0, "sd": 1.0}, 422),
    ({"n": 30, "mean": 2.0, "sd": -1.0}, 422),
    ({"n": 30, "mean": math.inf, "sd": 1.0}, 422),
])
def test_mean_rows_keep_the_bounds_the_import_keeps(app, client, token, running, values,
                                                   status):
    row = {"metric": "cost-per-contact", "arm": "pilot", "period": "2026-03-02", **values}
    response = client.post(f"{API}/pilots/x-care-1h/observations", json={"rows": [row]},
                           headers=bearer(token))
    assert response.status_code == status
    if status == 200:
        with app.app_context(), db.reading(db.engine()) as session:
            stored = session.exec(select(Observation).where(
                Observation.period == date(2026, 3, 2), Observation.mean.is_not(None))).one()
        assert (stored.n, stored.mean, stored.sd) == (values["n"], values["mean"], values["sd"])


def test_a_different_value_is_refused_unless_it_is_a_correction(app, client, token, running):
    client.post(f"{API}/pilots/x-care-1h/observations", json={"rows": ROWS},
                headers=bearer(token))
    changed = [ROWS[0], {**ROWS[1], "successes": 41}]
    refused = client.post(f"{API}/pilots/x-care-1h/observations", json={"rows": changed},
                          headers=bearer(token))
    assert refused.status_code == 422
    assert [p["field"] for p in refused.json["problems"]] == ["rows[#2].successes"]
    corrected = client.post(f"{API}/pilots/x-care-1h/observations",
                            json={"rows": changed, "correct": True}, headers=bearer(token))
    assert corrected.json["corrected"] == 1
    with app.app_context(), db.reading(db.engine()) as session:
        assert audit.events(session, action="import")


@pytest.mark.parametrize(("rows", "field"), [
    ([{**ROWS[0], "colour": "red"}], "rows[#1].colour"),
    ([{**ROWS[0], "arm": "both"}], "rows[#1].arm"),
    ([{**ROWS[0], "period": "March"}], "rows[#1].period"),
    ([{**ROWS[0], "trials": "400"}], "rows[#1].trials"),
    ([{**ROWS[0], "successes": 500}], "rows[#1].successes"),
    ([{**ROWS[0], "metric": "nps"}], "rows[#1].metric"),
    ([], "rows"),
])
def test_bad_rows_name_the_field_and_change_nothing(app, client, token, running, rows, field):
    before = observation_count(app)
    response = client.post(f"{API}/pilots/x-care-1h/observations", json={"rows": rows},
                           headers=bearer(token))
    assert response.status_code == 422
    assert field in [problem["field"] for problem in response.json["problems"]]
    assert all(problem["reason"] for problem in response.json["problems"])
    assert observation_count(app) == before


def test_malformed_bodies_are_400_or_415(client, token, running):
    path = f"{API}/pilots/x-care-1h/notes"
    broken = client.post(path, data="{not json", headers={
        **bearer(token), "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json["message"] == "The body is not valid JSON."
    form = client.post(path, data={"kind": "risk"}, headers=bearer(token))
    assert form.status_code == 415


def test_the_check_is_the_recommendation(app, client, token, running):
    got = client.get(f"{API}/pilots/x-care-1h/check", headers=bearer(token)).json
    with app.app_context(), db.reading(db.engine()) as session:
        expected = recommend_pilots(session, ["x-care-1h"])["x-care-1h"].to_dict()
    assert got["outcome"] == expected["outcome"] and got["reasons"] == expected["reasons"]
    for mine, theirs in zip(got["metrics"], expected["metrics"], strict=True):
        estimate = theirs["estimate"]
        if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
            assert mine["estimate"] is None
        else:
            assert mine["estimate"] == pytest.approx(estimate)


def test_a_draft_has_nothing_to_check(client, token):
    client.post(f"{API}/pilots", json=make_spec(), headers=bearer(token))
    response = client.get(f"{API}/pilots/x-care-1h/check", headers=bearer(token))
    assert response.status_code == 404 and "is a draft" in response.json["message"]


def test_tokens_cannot_sign_off_but_a_fresh_browser_session_can(app, client, people, running):
    def manager_token(session):
        user = accounts.find_user(session, people["manager"])
        return accounts.create_token(session, user=user, name="m", scope="write")[1]
    secret = write(app, manager_token)
    decision = {"outcome": "withdraw", "rationale": "Stop it"}
    refused = client.post(f"{API}/pilots/x-care-1h/decisions", json=decision,
                          headers=bearer(secret))
    assert refused.status_code == 403 and "tokens cannot sign off" in refused.json["message"]
    browser = app.test_client()
    post_form(browser, "/login", {"email": people["manager"], "password":
                                  "correct horse battery"})
    signed = browser.post(f"{API}/pilots/x-care-1h/decisions", json=decision,
                          headers={"X-CSRFToken": csrf_token(browser)})
    assert signed.status_code == 201
    assert (signed.json["outcome"], signed.json["decided_by"]) == ("withdrawn",
                                                                   people["manager"])
    again = browser.post(f"{API}/pilots/x-care-1h/decisions", json=decision,
                         headers={"X-CSRFToken": csrf_token(browser)})
    assert again.status_code == 409
    listed = client.get(f"{API}/pilots/x-care-1h/decisions", headers=bearer(secret))
    assert [d["outcome"] for d in listed.json["decisions"]] == ["withdrawn"]


def test_the_owner_cannot_sign_off_through_the_api(app, running):
    write(app, lambda s: accounts.add_user(s, email=OWNER, password=PASSWORD, role="manager",
                                           actor="test"))
    browser = app.test_client()
    post_form(browser, "/login", {"email": OWNER, "password": PASSWORD})
    refused = browser.post(f"{API}/pilots/x-care-1h/decisions",
                           json={"outcome": "withdraw", "rationale": "mine"},
                           headers={"X-CSRFToken": csrf_token(browser)})
    assert refused.status_code == 403
    assert refused.json["message"] == (f"{OWNER} owns pilot 'x-care-1h' and cannot sign off "
                                       "its decision: another manager must sign it off "
                                       "(whoever registered, started or owns a pilot cannot)")
    with app.app_context(), db.reading(db.engine()) as session:
        assert [e.actor for e in audit.events(session, action="denied")] == [OWNER]
        assert audit.events(session, action="sign_off") == []


def test_spend_and_pilot_replies(client, token, running):
    spend = {"spent_on": "2026-02-01", "amount": 1200.5, "description": "Training"}
    assert client.post(f"{API}/pilots/x-care-1h/spend", json=spend,
                       headers=bearer(token)).status_code == 201
    listed = client.get(f"{API}/pilots/x-care-1h/spend", headers=bearer(token)).json
    assert (listed["total"], listed["budget"], listed["currency"]) == (1200.5, 25000.0, "EUR")
    pilot = client.get(f"{API}/pilots/x-care-1h", headers=bearer(token)).json
    assert (pilot["spend"], pilot["status"], pilot["hypothesis"]) == (
        1200.5, "running", "fast-social-care")
    filtered = client.get(f"{API}/pilots?status=draft", headers=bearer(token)).json
    assert filtered["pilots"] == []
    bad = client.get(f"{API}/pilots?status=dreaming", headers=bearer(token))
    assert bad.status_code == 422 and bad.json["problems"][0]["field"] == "status"


def test_a_disabled_analyst_token_stops(app, client, people, token):
    write(app, lambda s: accounts.disable(s, email=people["analyst"], actor="admin"))
    assert client.get(f"{API}/pilots", headers=bearer(token)).status_code == 401


def test_the_openapi_document_is_generated_from_the_models(client):
    document = client.get(f"{API}/openapi.json").json
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    assert {"Preregistration", "ObservationBatch", "NoteIn", "SpendIn", "DecisionIn",
            "ErrorOut", "PilotOut", "CheckOut"} <= set(schemas)
    assert schemas["NoteIn"]["additionalProperties"] is False
    operation = document["paths"]["/api/v1/pilots/{key}/observations"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ObservationBatch"}
    assert operation["x-required-role"] == "member"
    assert {"bearerAuth": []} in operation["security"]
    assert "422" in operation["responses"] and "200" in operation["responses"]


def test_text_no_database_can_store_is_refused_with_its_place(client, token, running):
    note = {"kind": "risk", "noted_on": "2026-02-01", "source": "desk", "text": "a\x00b"}
    response = client.post(f"{API}/pilots/x-care-1h/notes", json=note, headers=bearer(token))
    assert response.status_code == 422
    assert response.json["problems"][0]["field"] == "text"
    assert "NUL" in response.json["problems"][0]["reason"]
    broken = client.post(f"{API}/pilots/x-care-1h/notes", headers={
        **bearer(token), "Content-Type": "application/json"},
        data='{"kind": "risk", "noted_on": "2026-02-01", "source": "\\ud800", "text": "x"}')
    assert broken.status_code == 422 and broken.json["problems"][0]["field"] == "source"
