"""The lab team's forms: registration, start, observations, CSV upload, notes and spend."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlmodel import func, select

from lab import db
from lab.models import Note, Observation, Pilot, Spend
from lab.pilots.find import get_pilot
from lab.pilots.lock import spec_of
from lab.pilots.plans import parse
from tests.factories import CSV_COLUMNS, make_spec, observation_rows
from tests.web.conftest import post_form


def form_fields(spec: dict) -> dict:
    """Return the registration form's fields for a plan dict, as a browser posts them."""
    fields = {f"hypothesis-{name}": value for name, value in spec["hypothesis"].items()}
    for name, value in spec["pilot"].items():
        if name == "team":
            for i, member in enumerate(value):
                fields.update({f"pilot-team-{i}-{k}": v for k, v in member.items()})
        else:
            fields[f"pilot-{name}"] = str(value)
    for i, metric in enumerate(spec["metrics"]):
        fields.update({f"metrics-{i}-{name}": str(value) for name, value in metric.items()})
    return fields


def count(app, model, **where) -> int:
    with app.app_context(), db.reading(db.engine()) as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.exec(query).one()


def stored_plan(app, key):
    with app.app_context(), db.reading(db.engine()) as session:
        pilot = get_pilot(session, key)
        return pilot.status, spec_of(pilot)


def test_a_member_registers_a_pilot_with_the_same_result_as_a_toml_file(app, signed_in):
    spec = make_spec()
    response = post_form(signed_in("member"), "/register", form_fields(spec))
    assert response.status_code == 302
    assert response.headers["Location"] == "/pilots/x-care-1h"
    assert stored_plan(app, "x-care-1h") == ("draft", parse(spec))


def test_every_problem_is_shown_and_nothing_is_saved(app, signed_in):
    spec = make_spec(pilot={"end": "2025-12-01", "design": "zigzag"},
                     hypothesis={"sponsors": ["service", "astrology"]})
    spec["metrics"][0].pop("minimum_effect")
    response = post_form(signed_in("member"), "/register", form_fields(spec))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The plan was not saved" in html
    assert 'id="pilot-design-error"' in html  # next to its field
    assert 'id="hypothesis-sponsors-error"' in html
    assert "a primary metric needs a minimum_effect" in html  # a row's own rule, at the top
    assert count(app, Pilot) == 0


def test_blank_metric_rows_are_skipped_and_problems_point_at_the_right_row(app, signed_in):
    spec = make_spec()
    fields = form_fields(spec)
    # As a browser sends it: every row, the third one left blank, the metric in the fifth.
    for name in ("key", "label", "kind", "role", "direction", "minimum_effect", "margin",
                 "baseline"):
        fields[f"metrics-4-{name}"] = fields.pop(f"metrics-2-{name}", "")
        fields[f"metrics-2-{name}"] = fields[f"metrics-3-{name}"] = ""
    fields["metrics-4-direction"] = "sideways"
    response = post_form(signed_in("member"), "/register", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="metrics-4-direction-error"' in html
    fields["metrics-4-direction"] = "decrease"
    assert post_form(signed_in("member"), "/register", fields).status_code == 302
    assert stored_plan(app, "x-care-1h")[1] == parse(spec)


def test_a_draft_is_edited_but_another_pilot_is_never_overwritten_by_accident(app,
                                                                             signed_in):
    client = signed_in("member")
    spec = make_spec()
    post_form(client, "/register", form_fields(spec))
    form = client.get("/register?pilot=x-care-1h").get_data(as_text=True)
    assert 'value="One-hour reply desk on X"' in form and 'value="x-care-1h"' in form
    again = post_form(client, "/register", form_fields(make_spec(pilot={"title": "Other"})))
    assert again.status_code == 422
    assert "already exists" in again.get_data(as_text=True)
    edited = form_fields(make_spec(pilot={"title": "One-hour desk, edited"}))
    assert post_form(client, "/register", {**edited, "editing": "x-care-1h"}).status_code == 302
    assert stored_plan(app, "x-care-1h")[1].pilot.title == "One-hour desk, edited"


def test_starting_locks_the_plan_and_twice_is_a_conflict(app, signed_in):
    client = signed_in("member")
    post_form(client, "/register", form_fields(make_spec()))
    assert post_form(client, "/pilots/x-care-1h/start").status_code == 302
    assert stored_plan(app, "x-care-1h")[0] == "running"
    again = post_form(client, "/pilots/x-care-1h/start")
    assert again.status_code == 409
    assert "already running" in again.get_data(as_text=True)


OBSERVATION = {"metric": "churn-90d", "arm": "pilot", "phase": "during",
               "period": "2026-03-02", "successes": "40", "trials": "400"}


def test_one_observation_is_logged_once(app, signed_in, running):
    client = signed_in("member")
    before = count(app, Observation)
    assert post_form(client, "/pilots/x-care-1h/observations", OBSERVATION).status_code == 302
    assert post_form(client, "/pilots/x-care-1h/observations", OBSERVATION).status_code == 302
    assert count(app, Observation) == before + 1
    page = client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "Observation unchanged" in page


def test_a_bad_observation_gets_the_csv_message_next_to_its_field(app, signed_in, running):
    before = count(app, Observation)
    response = post_form(signed_in("member"), "/pilots/x-care-1h/observations",
                         {**OBSERVATION, "successes": "500"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="successes-error">500 successes exceed 400 trials' in html
    assert count(app, Observation) == before


def test_a_different_value_needs_the_correction_box(app, signed_in, running):
    client = signed_in("member")
    post_form(client, "/pilots/x-care-1h/observations", OBSERVATION)
    changed = {**OBSERVATION, "successes": "41"}
    assert post_form(client, "/pilots/x-care-1h/observations", changed).status_code == 422
    corrected = post_form(client, "/pilots/x-care-1h/observations", {**changed, "correct": "y"})
    assert corrected.status_code == 302


def csv_upload(rows: list[dict], name: str = "week.csv") -> tuple[io.BytesIO, str]:
    lines = [",".join(CSV_COLUMNS)] + [",".join(str(row.get(c, "")) for c in CSV_COLUMNS)
                                       for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode()), name


def test_a_csv_upload_imports_every_row(app, signed_in, running):
    rows = observation_rows(periods=8)[-18:]  # weeks seven and eight
    response = post_form(signed_in("member"), "/observations/upload?pilot=x-care-1h",
                         {"file": csv_upload(rows)}, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"] == "/pilots/x-care-1h"
    assert count(app, Observation) == 6 * 6 + 12


def test_a_bad_csv_is_refused_whole_with_line_and_column(app, signed_in, running):
    rows = observation_rows(periods=8)[-18:]
    rows[1]["trials"] = "many"  # the second row (line 3): churn-90d, control arm
    before = count(app, Observation)
    response = post_form(signed_in("member"), "/observations/upload",
                         {"file": csv_upload(rows, "bad.csv")},
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "bad.csv was refused: nothing was imported" in html
    assert '<td class="num">3</td><td class="mono">trials</td>' in html
    assert "must be a whole number, not &#39;many&#39;" in html
    assert count(app, Observation) == before


def test_an_upload_without_a_file_is_refused(signed_in, running):
    response = post_form(signed_in("member"), "/observations/upload", {},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert "choose a CSV file to upload" in response.get_data(as_text=True)


def test_notes_and_spend_are_added(app, signed_in, running):
    client = signed_in("member")
    note = {"kind": "frontline-voice", "noted_on": "2026-02-03", "source": "Desk lead",
            "text": "Templates save a lot of time"}
    assert post_form(client, "/pilots/x-care-1h/notes", note).status_code == 302
    spend = {"spent_on": "2026-02-03", "amount": "1250.50", "description": "Training"}
    assert post_form(client, "/pilots/x-care-1h/spend", spend).status_code == 302
    assert count(app, Note) == count(app, Spend) == 1
    html = client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "Templates save a lot of time" in html and "1,250 / 25,000 EUR" in html


@pytest.mark.parametrize(("path", "data", "field"), [
    ("notes", {"kind": "gossip", "noted_on": "2026-02-03", "source": "x", "text": "y"},
     "kind"),
    ("notes", {"kind": "risk", "noted_on": "yesterday", "source": "x", "text": "y"},
     "noted_on"),
    ("notes", {"kind": "risk", "noted_on": "2026-02-03", "source": "x", "text": "  "}, "text"),
    ("spend", {"spent_on": "2026-02-03", "amount": "-5", "description": "x"}, "amount"),
    ("spend", {"spent_on": "2026-02-03", "amount": "lots", "description": "x"}, "amount"),
    ("spend", {"spent_on": "2026-02-03", "amount": "5"}, "description"),
])
def test_bad_notes_and_spend_are_refused_at_their_field(app, signed_in, running, path, data,
                                                       field):
    response = post_form(signed_in("member"), f"/pilots/x-care-1h/{path}", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count(app, Note) == count(app, Spend) == 0


def test_unknown_pilots_are_404_on_every_form(signed_in):
    client = signed_in("member")
    assert post_form(client, "/pilots/nope/start").status_code == 404
    assert post_form(client, "/pilots/nope/notes", {
        "kind": "risk", "noted_on": str(date.today()), "source": "x",
        "text": "y"}).status_code == 404


@pytest.mark.parametrize("path", ["/pilots/x%00y", "/?channel=x%00", "/admin/audit?action=%00"])
def test_nul_characters_in_addresses_are_refused(signed_in, path):
    response = signed_in("admin").get(path)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_nul_characters_in_forms_are_refused(app, signed_in, running):
    response = post_form(signed_in("member"), "/pilots/x-care-1h/notes", {
        "kind": "risk", "noted_on": "2026-02-03", "source": "x", "text": "a\x00b"})
    assert response.status_code == 400
    assert "form field text contains a NUL character" in response.get_data(as_text=True)
    assert count(app, Note) == 0


def test_a_head_request_with_a_form_body_changes_nothing(app, signed_in):
    # HEAD is exempt from CSRF checks, so it must never be taken for a submission.
    response = signed_in("member").open("/register", method="HEAD",
                                        data=form_fields(make_spec()))
    assert response.status_code == 200
    assert count(app, Pilot) == 0


def test_a_mean_metric_declares_its_bounds_in_the_form(app, signed_in):
    score = {"key": "satisfaction", "kind": "mean", "role": "secondary",
             "direction": "increase", "least": 0.0, "most": 10.0}
    spec = make_spec(metrics=[*make_spec()["metrics"], score])
    assert post_form(signed_in("member"), "/register", form_fields(spec)).status_code == 302
    _, stored = stored_plan(app, "x-care-1h")
    assert (stored.metric("satisfaction").least, stored.metric("satisfaction").most) == (0, 10)
    wrong = form_fields(make_spec(key="other", pilot={"channel": "email"},
                                  metrics=[*make_spec()["metrics"], {**score, "least": 10.0}]))
    response = post_form(signed_in("member"), "/register", wrong)
    assert response.status_code == 422
    assert "least (10) must be below most (10)" in response.get_data(as_text=True)
