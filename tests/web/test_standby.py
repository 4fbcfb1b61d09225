"""Stand-by rules and pauses through the web, the JSON API and the command line."""

from __future__ import annotations

import pytest

from lab import db
from lab.pilots import audit
from lab.pilots.find import get_pilot
from lab.pilots.observations import record_observations
from tests.factories import OWNER, make_spec, standby_spec, start_plan, week_rows
from tests.web.conftest import post_form, write
from tests.web.test_api import API, bearer

RULE = {"metric": "complaints", "above": 0.03, "action": "propose_withdrawal"}
ROLES = {OWNER: "accountable", "raj@bank.example": "responsible"}


@pytest.fixture
def fired(app, session) -> str:
    """A running pilot whose withdrawal rule fired at its first look."""
    start_plan(session, standby_spec([RULE], ROLES))
    write(app, lambda s: record_observations(s, rows=week_rows(0, 90), actor="test"))
    return "x-care-1h"


def status_of(app, key: str = "x-care-1h") -> str:
    with app.app_context(), db.reading(db.engine()) as session:
        return get_pilot(session, key).status


def test_the_pilot_page_and_the_portfolio_show_a_fired_rule(fired, signed_in):
    client = signed_in("viewer")
    page = client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "Stand-by rule proposes withdrawal" in page
    assert "Stand-by rule fired at look 1" in page and "withdrawal is proposed" in page
    assert "If complaints (the pilot arm&#39;s level) rises above 0.03 at any look" in page
    assert "ana@bank.example: accountable" in page  # the roles, from the plan
    portfolio = client.get("/").get_data(as_text=True)
    assert "Withdrawal proposed" in portfolio


def test_members_pause_and_resume_from_the_page_and_viewers_cannot(app, fired, signed_in):
    assert post_form(signed_in("viewer"), "/pilots/x-care-1h/pause").status_code == 403
    member = signed_in("member")
    assert post_form(member, "/pilots/x-care-1h/pause").status_code == 302
    assert status_of(app) == "paused"
    page = member.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "no data is logged until it resumes" in page and "Resume pilot" in page
    again = post_form(member, "/pilots/x-care-1h/pause")
    assert again.status_code == 409 and "already paused" in again.get_data(as_text=True)
    logged = post_form(member, "/pilots/x-care-1h/observations", {
        "metric": "churn-90d", "arm": "pilot", "phase": "during", "period": "2026-01-12",
        "successes": "10", "trials": "100"})
    assert "is paused: no data is logged while it is paused" in logged.get_data(as_text=True)
    assert post_form(member, "/pilots/x-care-1h/resume").status_code == 302
    assert status_of(app) == "running"
    with app.app_context(), db.reading(db.engine()) as session:
        moves = audit.events(session, object_key="x-care-1h", action="transition")
    assert [(m.actor, m.after["status"]) for m in moves[-2:]] == [
        ("member@lab.example", "paused"), ("member@lab.example", "running")]


def test_the_api_pauses_refuses_data_and_reports_fired_rules(app, client, fired, token):
    paused = client.post(f"{API}/pilots/x-care-1h/pause", headers=bearer(token))
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    rows = [{k: v for k, v in row.items() if k != "pilot"} for row in week_rows(1, 30)]
    refused = client.post(f"{API}/pilots/x-care-1h/observations", json={"rows": rows},
                          headers=bearer(token))
    assert refused.status_code == 422 and "is paused" in refused.get_data(as_text=True)
    standby = client.get(f"{API}/pilots/x-care-1h/standby", headers=bearer(token)).json
    assert standby["status"] == "paused" and standby["proposes_withdrawal"]
    [entry] = standby["fired"]
    assert (entry["look"], entry["value"], entry["threshold"]) == (1, 0.09, 0.03)
    assert standby["rules"][0]["action"] == "propose_withdrawal"
    check = client.get(f"{API}/pilots/x-care-1h/check", headers=bearer(token)).json
    assert check["standby"][0]["action"] == "propose_withdrawal"
    assert any(m.get("pilot_value") == 0.09 for m in check["metrics"])
    resumed = client.post(f"{API}/pilots/x-care-1h/resume", headers=bearer(token))
    assert resumed.status_code == 200 and resumed.json["status"] == "running"
    twice = client.post(f"{API}/pilots/x-care-1h/resume", headers=bearer(token))
    assert twice.status_code == 409 and "only a paused pilot" in twice.json["message"]


def test_a_bad_rule_sent_to_the_api_is_refused_naming_its_field(client, token):
    spec = standby_spec([{**RULE, "metric": "nps"}], ROLES)
    refused = client.post(f"{API}/pilots", json=spec, headers=bearer(token))
    assert refused.status_code in (400, 422)
    assert "standby[#1].metric: no metric 'nps'" in refused.get_data(as_text=True)
    assert client.post(f"{API}/pilots", json=make_spec(), headers=bearer(token)).status_code \
        in (200, 201)


def test_lab_pause_and_resume(app, runner, session):
    start_plan(session, standby_spec([], ROLES))
    paused = runner.invoke(args=["pause", "x-care-1h"])
    assert paused.exit_code == 0, paused.output
    assert "pilot x-care-1h is paused" in paused.output and status_of(app) == "paused"
    refused = runner.invoke(args=["pause", "x-care-1h"])
    assert refused.exit_code != 0 and "already paused" in refused.output
    imported = runner.invoke(args=["import", str(_csv(app, week_rows(0, 30)))])
    assert imported.exit_code != 0 and "is paused" in imported.output
    resumed = runner.invoke(args=["resume", "x-care-1h"])
    assert resumed.exit_code == 0 and "0 days paused in all" in resumed.output
    assert "planned end now 2026-03-29" in resumed.output
    assert runner.invoke(args=["resume", "nope"]).exit_code != 0


def _csv(app, rows):
    from pathlib import Path

    from tests.factories import write_csv
    return write_csv(Path(app.instance_path) / "rows.csv", rows)


STANDBY_TOML = '''[roles]
"ana@bank.example" = "accountable"

[[standby]]
metric = "complaints"
above = 0.03
action = "pause"
'''


@pytest.mark.parametrize(("text", "reason"), [
    (STANDBY_TOML.replace('metric = "complaints"', 'metric = "nps"'),
     "standby[#1].metric: no metric &#39;nps&#39; in this plan"),
    (STANDBY_TOML.replace('"accountable"', '"responsible"'),
     "roles need exactly one accountable person"),
    (STANDBY_TOML.replace("above = 0.03", "above = "), "not valid TOML"),
    (STANDBY_TOML + 'colour = "red"\n', "unknown key"),
])
def test_the_register_form_refuses_a_bad_rule_next_to_its_box(app, signed_in, text, reason):
    from tests.web.test_forms import form_fields

    member = signed_in("member")
    refused = post_form(member, "/register", {**form_fields(make_spec()), "standby": text})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    box = page[page.index('name="standby"'):]
    assert reason in box[:box.index("</fieldset>")]  # shown at the box, not elsewhere


def test_the_register_form_takes_rules_and_gives_them_back_to_edit(app, signed_in):
    from tests.web.test_forms import form_fields, stored_plan

    member = signed_in("member")
    done = post_form(member, "/register", {**form_fields(make_spec()), "standby": STANDBY_TOML})
    assert done.status_code == 302, done.get_data(as_text=True)
    _, spec = stored_plan(app, "x-care-1h")
    assert [rule.action for rule in spec.standby] == ["pause"]
    assert spec.people("accountable") == [OWNER]
    edit = member.get("/register?pilot=x-care-1h").get_data(as_text=True)
    assert "[[standby]]\nmetric = &#34;complaints&#34;" in edit and "above = 0.03" in edit


def test_a_manager_withdraws_a_paused_pilot_on_the_sign_off_page(app, fired, signed_in):
    post_form(signed_in("member"), "/pilots/x-care-1h/pause")
    manager = signed_in("manager")
    page = manager.get("/pilots/x-care-1h/sign-off").get_data(as_text=True)
    assert 'action="/pilots/x-care-1h/sign-off"' in page
    done = post_form(manager, "/pilots/x-care-1h/sign-off",
                     {"outcome": "withdraw", "rationale": "opt-outs past the stand-by rule"})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert status_of(app) == "withdrawn"


def test_lab_check_says_a_rule_fired(fired, runner):
    # The table wraps to the terminal; the columns sliced below are those of 120 characters
    # (the width without a terminal), which an xdist worker would not otherwise get.
    shown = runner.invoke(args=["check", "x-care-1h"], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    column = " ".join(line[11:37].strip() for line in shown.output.splitlines()[2:])
    assert "stand-by rule proposes withdrawal" in " ".join(column.split())
