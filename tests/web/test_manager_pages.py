"""The manager's and the member's new pages: brief kept with the decision, a week's grid,
semicolon files, overspend, the planner, reports from the web."""

from __future__ import annotations

import io
import re

import pypdf
from sqlmodel import select

from lab import db
from lab.models import Decision, DecisionBrief
from tests.web.conftest import post_form


def test_signing_off_keeps_the_brief_the_manager_read(app, signed_in, running):
    client = signed_in("manager")
    page = client.get("/pilots/x-care-1h/sign-off").get_data(as_text=True)
    assert "Primary and guardrails" in page and "Randomized" in page
    response = post_form(client, "/pilots/x-care-1h/sign-off",
                         {"outcome": "withdraw", "rationale": "Not worth the agents"})
    assert response.status_code == 302
    with app.app_context(), db.reading(db.engine()) as session:
        kept = session.exec(select(DecisionBrief, Decision).join(
            Decision, Decision.id == DecisionBrief.decision_id)).one()
    brief, decision = kept
    assert decision.outcome == "withdrawn"
    text = pypdf.PdfReader(io.BytesIO(brief.pdf)).pages[0].extract_text()
    assert "Decision brief" in text and "Running" in text  # as it was before the decision
    served = client.get("/pilots/x-care-1h/signed-brief.pdf")
    assert served.status_code == 200 and served.data == brief.pdf


def test_a_pilot_without_a_decision_has_no_signed_brief(signed_in, running):
    assert signed_in("viewer").get("/pilots/x-care-1h/signed-brief.pdf").status_code == 404


def test_a_week_is_logged_in_one_grid_all_rows_or_none(app, signed_in, running):
    client = signed_in("member")
    page = client.get("/pilots/x-care-1h/week").get_data(as_text=True)
    assert 'name="churn-90d.control.trials"' in page and 'name="cost-per-contact.pilot.sd"' in page
    cells = {"churn-90d.pilot.successes": "41", "churn-90d.pilot.trials": "400",
             "churn-90d.control.successes": "55", "churn-90d.control.trials": "40"}
    refused = post_form(client, "/pilots/x-care-1h/week",
                        {"period": "2026-03-02", "phase": "during", **cells})
    assert refused.status_code == 422
    said = refused.get_data(as_text=True)
    assert "control arm" in said and "Nothing was logged" in said
    cells["churn-90d.control.trials"] = "410"
    done = post_form(client, "/pilots/x-care-1h/week",
                     {"period": "2026-03-02", "phase": "during", **cells})
    assert done.status_code == 302
    assert "2 inserted" in client.get("/pilots/x-care-1h").get_data(as_text=True)


def test_the_csv_template_has_a_row_per_metric_and_arm(signed_in, running):
    body = signed_in("member").get("/pilots/x-care-1h/template.csv").get_data(as_text=True)
    lines = body.strip().splitlines()
    assert lines[0].startswith("pilot,metric,arm,phase,period,successes,trials")
    assert len(lines) == 1 + 2 * 3  # three metrics, two arms, one phase (holdout)


def test_a_semicolon_file_is_refused_with_a_hint_before_the_importer(app, signed_in, running):
    data = {"file": (io.BytesIO(b"pilot;metric;arm;phase;period;successes;trials\n"
                                b"x-care-1h;churn-90d;pilot;during;2026-03-02;4;40\n"),
                     "weeks.csv")}
    response = post_form(signed_in("member"), "/observations/upload?pilot=x-care-1h", data,
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert "separated by semicolons" in response.get_data(as_text=True)


def test_spend_past_the_budget_is_warned_where_it_is_entered(signed_in, running):
    client = signed_in("member")
    response = post_form(client, "/pilots/x-care-1h/spend", {
        "spent_on": "2026-02-01", "amount": "30000", "description": "Agents"},
        follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Over budget: 30,000 EUR spent of a 25,000 EUR budget, 5,000 EUR over" in text
    assert "Over budget</strong> by 5,000 EUR" in client.get("/").get_data(as_text=True)


def test_the_planner_fills_in_the_planned_sample_and_saves_nothing(signed_in):
    client = signed_in("member")
    form = {"pilot-analysis": "fixed", "pilot-alpha": "0.05", "pilot-power": "0.8",
            "metrics-0-key": "churn", "metrics-0-kind": "proportion",
            "metrics-0-role": "primary", "metrics-0-direction": "decrease",
            "metrics-0-minimum_effect": "0.02", "metrics-0-baseline": "0.12",
            "action": "plan"}
    page = post_form(client, "/register", form).get_data(as_text=True)
    found = re.search(r'id="pilot-planned_sample"[^>]*value="(\d+)"', page)
    assert found and 3000 < int(found.group(1)) < 5000  # power.prop.test: about 3,800
    missing = post_form(client, "/register", {**form, "metrics-0-baseline": ""})
    assert missing.status_code == 422
    assert "needed to plan: the control&#39;s expected level" in missing.get_data(as_text=True)


def test_reports_come_from_the_web(signed_in, running):
    client = signed_in("viewer")
    pdf = client.get("/pilots/x-care-1h/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    html = client.get("/reports/portfolio.html").get_data(as_text=True)
    assert "Executive summary" in html
    assert 'href="/reports/portfolio.pdf"' in client.get("/").get_data(as_text=True)
