"""A comparison-scopes pilot on the pages: its fit and evidence where managers read them."""

from __future__ import annotations

import numpy as np

from lab.pilots.observations import record_observations
from tests.factories import observations, scopes_plan, start_pilot, weekly_means
from tests.web.conftest import post_form, write


def test_the_pilot_page_shows_the_fit_the_placebo_check_and_the_evidence(app, session,
                                                                         signed_in):
    spec = scopes_plan("x-scopes", 19, analysis="fixed")
    start_pilot(session, key="x-scopes", hypothesis=spec["hypothesis"], pilot=spec["pilot"],
                metrics=spec["metrics"])
    means = weekly_means(np.random.default_rng(3), 1, 19, 26, 12, "specific", 1.0)
    rows = observations(["x-scopes"], means, 26).to_dict("records")
    write(app, lambda s: record_observations(s, rows=rows, actor="test"))
    page = signed_in("viewer").get("/pilots/x-scopes")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Scale up" in text
    assert "blend of comparison scopes" in text and "over 26 before-periods" in text
    assert "Placebo check: 1 of 20 scopes" in text
    assert "Comparison scopes" in text


def test_a_comparison_scopes_plan_registers_from_the_form_as_from_toml(app, signed_in):
    from lab.pilots.plans import parse
    from tests.factories import make_spec
    from tests.web.test_forms import form_fields, stored_plan

    spec = make_spec(pilot={"design": "comparison-scopes", "analysis": "fixed",
                            "comparison_scopes": ["whatsapp", "email", "phone"]})
    fields = form_fields(spec)
    fields["pilot-comparison_scopes"] = "whatsapp, email,phone"
    client = signed_in("member")
    response = post_form(client, "/register", fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert stored_plan(app, "x-care-1h") == ("draft", parse(spec))
    # Editing the draft shows the scopes as they were written.
    page = client.get("/register?pilot=x-care-1h").get_data(as_text=True)
    assert 'value="whatsapp, email, phone"' in page


def test_scoped_rows_go_in_and_come_out_through_the_api(app, session, client, people):
    from lab import accounts
    from tests.web.test_api import API, bearer

    spec = scopes_plan("x-scopes", 2, analysis="fixed")
    start_pilot(session, key="x-scopes", hypothesis=spec["hypothesis"], pilot=spec["pilot"],
                metrics=spec["metrics"])
    secret = write(app, lambda s: accounts.create_token(
        s, user=accounts.find_user(s, people["analyst"]), name="t", scope="write")[1])
    row = {"metric": "spend", "arm": "control", "phase": "before", "period": "2025-12-29",
           "n": 400, "mean": 10.0, "sd": 2.0}
    refused = client.post(f"{API}/pilots/x-scopes/observations", json={"rows": [row]},
                          headers=bearer(secret))
    assert refused.status_code == 422 and "comparison scopes" in refused.get_data(as_text=True)
    stored = client.post(f"{API}/pilots/x-scopes/observations",
                         json={"rows": [{**row, "scope": "segment-02"}]},
                         headers=bearer(secret))
    assert stored.status_code == 200, stored.get_data(as_text=True)
    listed = client.get(f"{API}/pilots/x-scopes/observations", headers=bearer(secret)).json
    assert [o["scope"] for o in listed["observations"]] == ["segment-02"]


def test_a_week_grid_has_a_control_row_per_comparison_scope(app, session, signed_in):
    spec = scopes_plan("x-scopes", 2, analysis="fixed")
    start_pilot(session, key="x-scopes", hypothesis=spec["hypothesis"], pilot=spec["pilot"],
                metrics=spec["metrics"])
    client = signed_in("member")
    page = client.get("/pilots/x-scopes/week").get_data(as_text=True)
    assert 'name="spend.control.segment-01.mean"' in page and "control: segment-02" in page
    cells = {f"spend.{unit}.{name}": value
             for unit in ("pilot", "control.segment-01", "control.segment-02")
             for name, value in (("n", "400"), ("mean", "10.5"), ("sd", "2"))}
    done = post_form(client, "/pilots/x-scopes/week",
                     {"period": "2025-12-29", "phase": "before", **cells})
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    with app.app_context():
        from sqlmodel import select

        from lab import db
        from lab.models import Observation
        with db.reading(db.engine()) as reading:
            stored = sorted(reading.exec(select(Observation.arm, Observation.scope)).all())
    assert stored == [("control", "segment-01"), ("control", "segment-02"), ("pilot", "")]
    template = client.get("/pilots/x-scopes/template.csv").get_data(as_text=True).splitlines()
    assert template[0].endswith(",scope") and template[-1].endswith(",segment-02")
    assert len(template) == 1 + 3 * 2  # three scopes, two phases
