"""Stand-by rules fire at every refresh, once, at the first look where they hold; pauses."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from lab import db
from lab.analysis.pipeline import recommend_pilots
from lab.models import StandbyFiring, StoredRecommendation
from lab.pilots import audit, decisions, lifecycle
from lab.pilots.find import get_pilot
from lab.pilots.observations import ObservationError
from lab.pilots.plans import PreregistrationError, load, parse
from lab.pilots.standby import evaluate
from lab.portfolio import build
from tests.factories import ACTOR, MANAGER, OWNER, log_rows, standby_spec, start_plan, week_rows

RULE = {"metric": "complaints", "above": 0.03, "action": "alert"}
ROLES = {OWNER: "accountable", "raj@bank.example": ["responsible", "informed"]}


def firings(session) -> list[StandbyFiring]:
    session.rollback()
    return list(session.exec(select(StandbyFiring).order_by(StandbyFiring.id)))


# The plan schema ---------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "where", "reason"), [
    ({**RULE, "metric": "nps"}, "standby[#1].metric", "no metric 'nps' in this plan"),
    ({**RULE, "above": None}, "standby[#1]", "exactly one threshold: above or below"),
    ({**RULE, "below": 0.01}, "standby[#1]", "exactly one threshold: above or below"),
    ({**RULE, "action": "stop"}, "standby[#1].action", "'alert', 'pause' or "
                                                       "'propose_withdrawal'"),
    ({**RULE, "when": "median"}, "standby[#1].when", "'value', 'lower' or 'upper'"),
    ({**RULE, "metric": "churn-90d", "above": 12}, "standby[#1].above",
     "impossible for a proportion's value"),
    ({**RULE, "metric": "churn-90d", "when": "upper", "above": -1.5}, "standby[#1].above",
     "impossible for a difference of proportions"),
    ({**RULE, "below": -1, "above": None}, "standby[#1].below", "impossible for a rate"),
    ({**RULE, "from_look": 0}, "standby[#1].from_look", "greater than or equal to 1"),
    ({**RULE, "notify": ["consulted"]}, "standby[#1].notify", "nobody in roles is consulted"),
    ({**RULE, "notify": ["boss"]}, "standby[#1].notify[#1]", "should match pattern"),
    ({**RULE, "colour": "red"}, "standby[#1].colour", "unknown key"),
])
def test_a_bad_rule_is_refused_naming_its_field(rule, where, reason):
    spec = standby_spec([{k: v for k, v in rule.items() if v is not None}], ROLES)
    with pytest.raises(PreregistrationError) as refused:
        parse(spec, "plan.toml")
    message = str(refused.value)
    assert message.startswith("plan.toml: ") and where in message and reason in message


@pytest.mark.parametrize(("roles", "reason"), [
    ({"raj@bank.example": "responsible"}, "exactly one accountable person (found none)"),
    ({OWNER: "accountable", "Raj": "accountable"}, "exactly one accountable person (found "),
    ({OWNER: "accountable", "Raj": []}, "every person in roles needs at least one role"),
    ({OWNER: "accountable", "  ": "informed"}, "at least 1 character"),
    ({OWNER: "boss"}, "'responsible', 'accountable', 'consulted' or 'informed'"),
])
def test_bad_roles_are_refused(roles, reason):
    with pytest.raises(PreregistrationError, match="roles") as refused:
        parse(standby_spec([], roles), "plan.toml")
    assert reason in str(refused.value)


def test_a_plan_without_rules_dumps_as_before_and_the_example_plan_has_rules():
    plain = parse(standby_spec([])).model_dump(mode="json")
    assert "standby" not in plain and "roles" not in plain  # approvals' hashes unchanged
    spec = load("experiments/x-care-1h.toml")
    assert [rule.action for rule in spec.standby] == ["pause", "propose_withdrawal"]
    assert spec.people("accountable") == ["ana@bank.example"]
    with open("experiments/x-care-1h.toml", "rb") as file:
        assert tomllib.load(file)["standby"][0]["metric"] == "reply-minutes"


def test_evaluate_is_pure_and_strict_at_the_threshold():
    rule = parse(standby_spec([RULE])).standby
    answer = {"looks": [{"period": "2026-01-05"}],
              "metrics": [{"key": "complaints", "direction": "decrease",
                           "pilot_value": 0.03, "ci_low": -0.02, "ci_high": 0.01}]}
    assert evaluate(answer, rule) == []  # equal to the threshold: not above it
    answer["metrics"][0]["pilot_value"] = 0.0301
    [fired] = evaluate(answer, rule)
    assert (fired.rule, fired.look, fired.value, fired.threshold) == (0, 1, 0.0301, 0.03)
    # An interval bound reads pilot minus control in the metric's own sign: the stored
    # oriented interval (-0.02, 0.01) of a lower-is-better metric is (-0.01, 0.02).
    upper = parse(standby_spec([{**RULE, "when": "upper", "above": 0.015}])).standby
    assert [f.value for f in evaluate(answer, upper)] == [0.02]
    lower = parse(standby_spec([{**RULE, "when": "lower", "below": -0.005,
                                 "above": None}])).standby
    assert [f.value for f in evaluate(answer, lower)] == [-0.01]
    later = parse(standby_spec([{**RULE, "from_look": 2}])).standby
    assert evaluate(answer, later) == []


def test_a_rule_below_its_threshold_is_strict_too():
    rule = parse(standby_spec([{**RULE, "below": 0.01, "above": None}])).standby
    answer = {"looks": [{"period": "2026-01-05"}],
              "metrics": [{"key": "complaints", "direction": "decrease", "pilot_value": 0.01}]}
    assert evaluate(answer, rule) == []  # equal to the threshold: not below it
    answer["metrics"][0]["pilot_value"] = 0.0099
    assert [fired.value for fired in evaluate(answer, rule)] == [0.0099]


def test_a_rule_on_an_interval_fires_at_an_earlier_look_a_bulk_write_passed():
    # Three weeks arrive in one import: the interval's upper end (in the metric's sign)
    # rose above 0.015 at look 2 only. "At any look" means that look, not the last one.
    upper = parse(standby_spec([{**RULE, "when": "upper", "above": 0.015}])).standby
    weeks = ["2026-01-05", "2026-01-12", "2026-01-19"]
    oriented = [(-0.01, 0.004), (-0.02, 0.001), (-0.012, 0.003)]  # positive is better
    answer = {"looks": [{"period": week} for week in weeks],
              "metrics": [{"key": "complaints", "role": "secondary", "direction": "decrease",
                           "pilot_value": 0.02, "ci_low": -0.012, "ci_high": 0.003}],
              "metric_looks": {"complaints": [
                  {"period": week, "ci_low": low, "ci_high": high}
                  for week, (low, high) in zip(weeks, oriented, strict=True)]}}
    [fired] = evaluate(answer, upper)
    assert (fired.look, fired.period, fired.value) == (2, "2026-01-12", 0.02)
    from_three = parse(standby_spec([{**RULE, "when": "upper", "above": 0.015,
                                      "from_look": 3}])).standby
    assert evaluate(answer, from_three) == []  # look 3's upper end is 0.012
    # The pilot arm's level is kept for the last look only: a rule on it reads that one.
    [level] = evaluate(answer, parse(standby_spec([{**RULE, "above": 0.015}])).standby)
    assert (level.look, level.value) == (3, 0.02)


# Firing at a refresh ----------------------------------------------------------------

def test_a_rule_fires_once_at_the_first_look_where_it_holds(engine, session):
    start_plan(session, standby_spec([RULE], ROLES))
    log_rows(engine, week_rows(0, 30))  # 30 per 1,000: exactly the threshold
    assert firings(session) == []
    log_rows(engine, week_rows(1, 40))  # 70 per 2,000 = 0.035 through look 2
    log_rows(engine, week_rows(2, 50))  # still above: no second firing
    [fired] = firings(session)
    assert (fired.rule, fired.look, fired.period, fired.action) == (0, 2, date(2026, 1, 12),
                                                                    "alert")
    assert fired.value == pytest.approx(0.035) and fired.threshold == 0.03
    [event] = audit.events(session, object_key="x-care-1h", action="standby_fired")
    assert event.actor == "stand-by rule" and event.after["look"] == 2
    assert event.after["notify"] == [OWNER]  # no notify given: the owner
    assert get_pilot(session, "x-care-1h").status == "running"  # an alert only
    [row] = [row for row in build(session) if row.key == "x-care-1h"]
    assert [entry["look"] for entry in row.standby] == [2] and not row.proposes_withdrawal


def test_a_pause_rule_pauses_the_pilot_in_the_same_write_and_the_refresh_settles(
        engine, session):
    start_plan(session, standby_spec([{**RULE, "action": "pause",
                                       "notify": ["owner", "responsible"]}], ROLES))
    log_rows(engine, week_rows(0, 20))
    log_rows(engine, week_rows(1, 60))  # 80 per 2,000 = 0.04: fires, and pauses
    session.rollback()
    pilot = get_pilot(session, "x-care-1h")
    assert (pilot.status, pilot.paused_on) == ("paused", date.today())
    moves = audit.events(session, object_key="x-care-1h", action="transition")
    assert (moves[-1].actor, moves[-1].before, moves[-1].after["status"]) == (
        "stand-by rule", {"status": "running"}, "paused")
    assert len(firings(session)) == 1
    assert firings(session)[0].value == pytest.approx(0.04)
    # The stored answer is the answer of the data as committed (the loop settled).
    stored = session.get(StoredRecommendation, pilot.id)
    assert stored is not None and '"outcome"' in stored.document
    fresh = recommend_pilots(session, ["x-care-1h"])["x-care-1h"].to_dict()
    assert stored.outcome == fresh["outcome"]
    # No data while paused, by the import (the API, the form and CSV share it).
    with pytest.raises(ObservationError, match="'x-care-1h' is paused: no data is logged"):
        log_rows(engine, week_rows(2, 30))
    with db.writing(engine) as writing:
        lifecycle.resume(writing, pilot_key="x-care-1h", actor=ACTOR)
    log_rows(engine, week_rows(2, 90))  # resumed: taken, and the rule does not fire again
    session.rollback()
    assert get_pilot(session, "x-care-1h").status == "running"
    assert len(firings(session)) == 1


def test_a_withdrawal_proposal_shows_and_a_manager_still_decides(engine, session):
    start_plan(session, standby_spec([{**RULE, "action": "propose_withdrawal"}], ROLES))
    log_rows(engine, week_rows(0, 90))
    session.rollback()
    [row] = [row for row in build(session) if row.key == "x-care-1h"]
    assert row.proposes_withdrawal and row.status == "running"
    assert "withdrawal is proposed: a manager decides" in row.standby[0]["words"]


def test_a_firing_is_history_the_database_will_not_change(engine, session):
    start_plan(session, standby_spec([RULE], ROLES))
    log_rows(engine, week_rows(0, 90))
    with pytest.raises(DatabaseError), engine.begin() as connection:
        connection.execute(text("UPDATE standby_firing SET value = 0"))
    with pytest.raises(DatabaseError), engine.begin() as connection:
        connection.execute(text("DELETE FROM standby_firing"))
    assert len(firings(session)) == 1


# Pauses ------------------------------------------------------------------------------

def test_pause_and_resume_are_audited_and_the_days_move_the_planned_end(engine, session):
    start_plan(session, standby_spec([], ROLES))
    lifecycle.pause(session, pilot_key="x-care-1h", actor=ACTOR, on=date(2026, 2, 2))
    session.commit()
    with pytest.raises(lifecycle.TransitionError, match="is paused: resume it instead"):
        lifecycle.start(session, pilot_key="x-care-1h", actor=ACTOR)
    pilot = lifecycle.resume(session, pilot_key="x-care-1h", actor=ACTOR, on=date(2026, 2, 16))
    session.commit()
    assert (pilot.status, pilot.paused_on, pilot.paused_days) == ("running", None, 14)
    assert lifecycle.planned_end(pilot) == date(2026, 4, 12)  # 2026-03-29 + 14 days
    moves = [(e.before["status"], e.after) for e in audit.events(
        session, object_key="x-care-1h", action="transition")]
    assert moves[-2:] == [("running", {"status": "paused", "paused_on": "2026-02-02"}),
                          ("paused", {"status": "running", "paused_days": 14})]
    with pytest.raises(lifecycle.TransitionError, match="only a paused pilot can be resumed"):
        lifecycle.resume(session, pilot_key="x-care-1h", actor=ACTOR)
    # A period after the plan's own window but inside the moved one is taken.
    log_rows(engine, [dict(row, period="2026-04-13") for row in week_rows(0, 30)])


def test_the_weeks_paused_do_not_count_toward_the_planned_weeks(engine, session):
    start_plan(session, standby_spec([]))  # 12 weekly periods: 2026-01-05 to 2026-03-29
    for week in range(12):
        log_rows(engine, week_rows(week, 30))
    session.rollback()
    unpaused = recommend_pilots(session, ["x-care-1h"])["x-care-1h"]
    assert unpaused.final  # the twelfth week reaches the planned end
    with db.writing(engine) as writing:
        lifecycle.pause(writing, pilot_key="x-care-1h", actor=ACTOR, on=date(2026, 2, 2))
    with db.writing(engine) as writing:
        lifecycle.resume(writing, pilot_key="x-care-1h", actor=ACTOR, on=date(2026, 2, 16))
    session.rollback()
    moved = recommend_pilots(session, ["x-care-1h"])["x-care-1h"]
    assert not moved.final  # two weeks stood still: two more weeks to the end
    stored = session.get(StoredRecommendation, get_pilot(session, "x-care-1h").id)
    assert '"final":false' in stored.document  # the resume refreshed the stored answer
    for week in (12, 13):
        log_rows(engine, week_rows(week, 30))
    session.rollback()
    assert recommend_pilots(session, ["x-care-1h"])["x-care-1h"].final


def test_a_paused_pilot_can_be_withdrawn(engine, session):
    start_plan(session, standby_spec([{**RULE, "action": "pause"}], ROLES))
    log_rows(engine, week_rows(0, 90))
    session.rollback()
    assert get_pilot(session, "x-care-1h").status == "paused"
    with db.writing(engine) as writing:
        decisions.sign_off(writing, pilot_key="x-care-1h", outcome="withdraw",
                           rationale="complaints rose past the stand-by threshold",
                           decided_by=MANAGER, recommendation={"outcome": "continue"})
    session.rollback()
    pilot = get_pilot(session, "x-care-1h")
    assert (pilot.status, pilot.paused_on) == ("withdrawn", None)
    assert decisions.may_sign_off(session, pilot, MANAGER)


def test_a_pause_moves_the_end_and_keeps_the_planned_periods():
    spec = parse(standby_spec([]))
    assert lifecycle.without_pauses(spec, 0) is spec
    moved = lifecycle.without_pauses(spec, 14)
    assert (moved.pilot.end, moved.pilot.planned_periods) == (date(2026, 4, 12), 12)
    assert spec.pilot.weeks == 12 and moved.standby == spec.standby


def test_the_notebook_reads_the_fired_rules_as_a_typed_frame(engine, session):
    from lab.notebook import Lab

    start_plan(session, standby_spec([RULE], ROLES))
    log_rows(engine, week_rows(0, 90))
    frame = Lab(engine).standby()
    assert frame[["pilot", "metric", "look", "action"]].values.tolist() == [
        ["x-care-1h", "complaints", 1, "alert"]]
    assert frame["value"].tolist() == [pytest.approx(0.09)]
    assert str(frame["fired_at"].dtype) == "datetime64[ns, UTC]"
    assert list(frame["action"].cat.categories) == ["alert", "pause", "propose_withdrawal"]


def test_a_paused_pilot_still_holds_its_scope_for_the_overlap_warning(engine, session):
    from lab.pilots.overlap import overlaps
    from tests.factories import make_spec

    start_plan(session, standby_spec([]))
    start_plan(session, make_spec(key="x-tone"))
    lifecycle.pause(session, pilot_key="x-care-1h", actor=ACTOR)
    session.commit()
    [found] = overlaps(session)
    assert (found.pilot_a, found.status_a, found.pilot_b) == ("x-care-1h", "paused", "x-tone")
    assert "x-care-1h (paused)" in found.message


def test_a_paused_pilot_keeps_its_editable_plan_fields_and_its_locked_ones(session):
    from lab.pilots import registry

    spec = standby_spec([RULE], ROLES)
    start_plan(session, spec)
    lifecycle.pause(session, pilot_key="x-care-1h", actor=ACTOR)
    session.commit()
    spec["pilot"]["title"] = "One-hour reply desk on X (paused)"
    registry.register(session, spec=spec, actor=ACTOR)
    session.commit()
    assert get_pilot(session, "x-care-1h").title.endswith("(paused)")
    spec["standby"][0]["above"] = 0.05  # the rules are part of the locked plan
    with pytest.raises(registry.RegistryError, match="standby: locked since the pilot"):
        registry.register(session, spec=spec, actor=ACTOR)
