"""Service-level targets through the database: the portfolio page, the pilot page, the
API and the notebook's frames (SQLite, and PostgreSQL when it is configured)."""

from __future__ import annotations

import pytest

import lab
from lab.pilots.observations import record_observations
from tests.factories import SPEC, make_spec, observation_rows, start_pilot
from tests.web.conftest import write


def start_targeted(app, session, target) -> None:
    metrics = [*SPEC["metrics"][:2], {**SPEC["metrics"][2], "target": target}]
    start_pilot(session, metrics=metrics)
    write(app, lambda s: record_observations(s, rows=observation_rows(periods=6),
                                             actor="test"))


def test_the_portfolio_shows_attainment_beside_the_comparison(app, session, signed_in):
    start_targeted(app, session, {"at_most": 0.05})
    client = signed_in("viewer")
    page = client.get("/").get_data(as_text=True)
    assert "and targets" in page
    assert '<strong>Meets target</strong>: complaints 0.0' in page
    assert "target at most 0.0500" in page or "target at most 0.05" in page
    pilot = client.get("/pilots/x-care-1h").get_data(as_text=True)
    assert "<strong>Meets target</strong> (target: at most 0.05" in pilot
    assert "The dash-dot line is the target" in pilot
    assert "Target met: complaints is at 0.0" in pilot  # among the reasons


def test_the_api_and_the_notebook_carry_the_target_and_its_attainment(app, session,
                                                                       signed_in,
                                                                       database_url):
    start_targeted(app, session, {"at_most": 0.02})  # missed: about 0.03
    client = signed_in("analyst")
    checked = client.get("/api/v1/pilots/x-care-1h/check").get_json()
    target = {m["key"]: m["target"] for m in checked["metrics"]}["complaints"]
    assert target["bound"] == "at_most" and target["value"] == 0.02
    assert target["low"] > 0.02 and target["attainment"] == "misses"
    assert client.get("/api/v1/pilots/x-care-1h").get_json()["attainment"] == "misses"
    assert [p["attainment"] for p in client.get("/api/v1/pilots").get_json()["pilots"]] == [
        "misses"]
    exported = client.get("/portfolio.csv").get_data(as_text=True).splitlines()
    assert "attainment" in exported[0].split(",") and ",misses," in exported[1]
    document = client.get("/api/v1/openapi.json").get_json()
    assert "TargetOut" in document["components"]["schemas"]
    with lab.connect(database_url) as reader:
        frame = reader.recommendations()
        assert list(frame["attainment"].astype(str)) == ["misses"]
        effects = reader.effects().set_index("metric")
        assert effects.loc["complaints", "target_bound"] == "at_most"
        assert effects.loc["complaints", "target"] == 0.02
        assert str(effects.loc["churn-90d", "attainment"]) in ("nan", "<NA>")


def test_a_pilot_without_targets_shows_none(app, session, signed_in):
    start_pilot(session)
    client = signed_in("viewer")
    assert "Meets target" not in client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/pilots/x-care-1h").get_json()["attainment"] is None


def test_a_wrong_target_is_refused_by_the_api_and_by_lab_sync(app, session, signed_in,
                                                              runner, tmp_path):
    from sqlmodel import select

    from lab.cli.registry import sync_command
    from lab.models import Pilot
    from tests.factories import make_spec, write_spec
    from tests.web.conftest import csrf_token

    metrics = [*SPEC["metrics"][:2], {**SPEC["metrics"][2], "target": {"at_most": -3}}]
    member = signed_in("member")
    refused = member.post("/api/v1/pilots", json=make_spec(metrics=metrics),
                          headers={"X-CSRFToken": csrf_token(member, "/account")})
    assert refused.status_code == 422
    [problem] = refused.get_json()["problems"]
    assert problem["field"] == "metrics[complaints]"
    assert problem["reason"].startswith("target.at_most = -3 is impossible for a rate")
    path = write_spec(tmp_path, make_spec(metrics=metrics))
    result = runner.invoke(sync_command, [str(path)])
    assert result.exit_code == 1 and "nothing was synced" in result.stderr
    assert "metrics[complaints]: target.at_most = -3 is impossible for a rate" in result.stderr
    assert session.exec(select(Pilot)).all() == []


def test_the_register_form_takes_a_target_and_gives_it_back_to_edit(app, signed_in):
    from tests.web.conftest import post_form
    from tests.web.test_forms import form_fields, stored_plan

    member = signed_in("member")
    fields = {**form_fields(make_spec()), "metrics-0-target_bound": "at_most",
              "metrics-0-target_value": "0.2"}
    done = post_form(member, "/register", fields)
    assert done.status_code == 302, done.get_data(as_text=True)
    _, spec = stored_plan(app, "x-care-1h")
    assert spec.metrics[0].target.to_dict() == {"at_most": 0.2}
    assert spec.metrics[1].target is None
    edit = member.get("/register?pilot=x-care-1h").get_data(as_text=True)
    assert 'value="0.2"' in edit and '<option selected value="at_most">' in edit


@pytest.mark.parametrize(("bound", "level", "reason"), [
    ("at_least", "", "Input should be a valid number"),
    ("at_least", "1.5", "target.at_least = 1.5 is impossible for a share"),
    ("", "0.2", "a target names exactly one bound"),
])
def test_the_register_form_refuses_a_bad_target_next_to_its_level(app, signed_in, bound,
                                                                   level, reason):
    from lab.models import Pilot
    from tests.web.conftest import post_form
    from tests.web.test_forms import count, form_fields

    fields = {**form_fields(make_spec()), "metrics-0-target_bound": bound,
              "metrics-0-target_value": level}
    refused = post_form(signed_in("member"), "/register", fields)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    box = page[page.index('name="metrics-0-target_value"'):]
    assert reason in box[:box.index("</td>")], box[:600]  # shown at the level's box
    assert count(app, Pilot) == 0
