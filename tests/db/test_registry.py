"""lab.pilots.registry: sync creates and updates drafts, locks running plans, all or nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lab.models import Channel, Hypothesis, Metric, Pilot, Segment, TeamMember
from lab.pilots import audit, lifecycle, registry
from lab.pilots.find import get_pilot
from lab.pilots.lock import EDITABLE_PILOT_FIELDS, spec_of
from lab.pilots.overlap import overlaps
from lab.pilots.plans import PilotSpec
from lab.pilots.registry import RegistryError, sync_paths
from tests.factories import ACTOR, make_spec, register_pilot, start_pilot, write_spec


def sync(session, *paths):
    result = sync_paths(session, paths=list(paths), actor=ACTOR)
    session.commit()
    return result


def refused(session, *paths) -> str:
    with pytest.raises(RegistryError) as caught:
        sync_paths(session, paths=list(paths), actor=ACTOR)
    session.rollback()
    return str(caught.value)


def count(session, model) -> int:
    return len(session.exec(select(model)).all())


def test_sync_creates_a_draft_with_its_hypothesis_metrics_and_team(session, tmp_path):
    result = sync(session, write_spec(tmp_path))
    assert result.created == ["x-care-1h"]
    assert result.new_channels == ["x"] and result.new_segments == []
    pilot = get_pilot(session, "x-care-1h")
    assert (pilot.status, pilot.design, pilot.iteration, pilot.owner) == (
        "draft", "holdout", 1, "ana@bank.example")
    metrics = session.exec(select(Metric).where(Metric.pilot_id == pilot.id)).all()
    assert {m.key: m.role for m in metrics} == {
        "churn-90d": "primary", "cost-per-contact": "guardrail", "complaints": "secondary"}
    team = session.exec(select(TeamMember).where(TeamMember.pilot_id == pilot.id)).all()
    assert {(m.name, m.function) for m in team} == {("Ana", "service"), ("Raj", "it")}
    assert spec_of(pilot).pilot.key == "x-care-1h"
    assert [e.action for e in audit.events(session, object_key="x-care-1h")] == ["create"]


def test_sync_again_reports_unchanged(session, tmp_path):
    path = write_spec(tmp_path)
    sync(session, path)
    assert sync(session, path).unchanged == ["x-care-1h"]


def test_a_draft_is_updated_in_place(session, tmp_path):
    sync(session, write_spec(tmp_path))
    spec = make_spec(pilot={"design": "baseline", "title": "Renamed"},
                     metrics=[{"key": "reply-time", "kind": "mean", "role": "primary",
                               "direction": "decrease", "minimum_effect": 5}])
    result = sync(session, write_spec(tmp_path, spec))
    assert result.updated == ["x-care-1h"]
    pilot = get_pilot(session, "x-care-1h")
    assert (pilot.design, pilot.title) == ("baseline", "Renamed")
    keys = session.exec(select(Metric.key).where(Metric.pilot_id == pilot.id)).all()
    assert keys == ["reply-time"]
    update = audit.events(session, object_key="x-care-1h", action="update")[0]
    assert update.before["pilot"]["design"] == "holdout"
    assert update.after["pilot"]["design"] == "baseline"


def test_unknown_channel_and_segment_are_added_and_reported(session, tmp_path):
    result = sync(session, write_spec(tmp_path, make_spec(pilot={"segment": "retail"})))
    assert (result.new_channels, result.new_segments) == (["x"], ["retail"])
    assert count(session, Channel) == 1 and count(session, Segment) == 1
    other = make_spec(key="x-two", pilot={"channel": "x"})
    assert sync(session, write_spec(tmp_path, other)).new_channels == []


def test_invalid_file_is_refused_with_file_key_and_reason(session, tmp_path):
    good = write_spec(tmp_path / "a")
    bad = write_spec(tmp_path / "b", make_spec(key="other", pilot={"colour": "red"}))
    message = refused(session, good, bad)
    assert message == (f"{bad}: pilot.colour: unknown key (not part of the "
                       "pre-registration schema)")
    assert count(session, Pilot) == 0 and count(session, Hypothesis) == 0


def test_problems_of_several_files_are_all_reported(session, tmp_path):
    a = write_spec(tmp_path, make_spec(key="a", pilot={"channel": None}))
    b = write_spec(tmp_path, make_spec(key="b", metrics=[]))
    message = refused(session, a, b)
    assert f"{a}: pilot: a pilot needs a channel" in message
    assert f"{b}: metrics:" in message


def test_sync_is_all_or_nothing_when_a_later_plan_is_locked(session, tmp_path):
    start_pilot(session)
    new = write_spec(tmp_path, make_spec(key="a-new-one", pilot={"channel": "facebook"}))
    changed = write_spec(tmp_path, make_spec(pilot={"alpha": 0.1}))
    message = refused(session, new, changed)
    assert "pilot.alpha: locked since the pilot started on" in message
    assert "create a new iteration" in message
    assert session.exec(select(Pilot.key)).all() == ["x-care-1h"]
    assert count(session, Channel) == 1  # facebook was not added


@pytest.mark.parametrize(("change", "where"), [
    ({"pilot": {"design": "baseline"}}, "pilot.design"),
    ({"pilot": {"analysis": "fixed"}}, "pilot.analysis"),
    ({"pilot": {"alpha": 0.1}}, "pilot.alpha"),
    ({"pilot": {"power": 0.9}}, "pilot.power"),
    ({"pilot": {"allocation": 0.3}}, "pilot.allocation"),
    ({"pilot": {"planned_sample": 100}}, "pilot.planned_sample"),
    ({"pilot": {"channel": "facebook"}}, "pilot.channel"),
    ({"pilot": {"segment": "retail"}}, "pilot.segment"),
    ({"pilot": {"start": "2026-01-12"}}, "pilot.start"),
    ({"pilot": {"end": "2026-04-30"}}, "pilot.end"),
    ({"metrics": [{"key": "churn-90d", "kind": "proportion", "role": "primary",
                   "direction": "decrease", "minimum_effect": 0.01}]}, "metrics[churn-90d]"),
])
def test_a_running_plan_is_locked(session, tmp_path, change, where):
    start_pilot(session)
    spec = make_spec(**change)
    if "metrics" in change:
        spec["metrics"] += make_spec()["metrics"][1:]
    message = refused(session, write_spec(tmp_path, spec))
    assert f"{where}: locked since the pilot started on" in message
    assert message.endswith("create a new iteration")


# A new value for every pilot field a running pilot may not change (all but the key).
LOCKED_CHANGES = {"channel": "facebook", "segment": "retail", "design": "baseline",
                  "analysis": "fixed", "allocation": 0.3, "alpha": 0.1, "power": 0.9,
                  "planned_sample": 100, "planned_periods": 6, "start": "2026-01-12",
                  "end": "2026-04-30", "parent": "x-care-0", "before_periods": 6,
                  "serial_correlation": 0.3, "comparison_scopes": ["y", "z", "w"]}
# Fields only a non-randomized plan takes: tested on a diff-in-diff pilot.
COMPARED_ONLY = {"before_periods", "serial_correlation"}


def test_every_pilot_field_off_the_allow_list_is_locked_by_default():
    assert set(LOCKED_CHANGES) == set(PilotSpec.model_fields) - EDITABLE_PILOT_FIELDS - {"key"}


@pytest.mark.parametrize("name", sorted(LOCKED_CHANGES))
def test_a_running_pilot_refuses_each_locked_field(session, tmp_path, name):
    design = {"design": "diff-in-diff"} if name in COMPARED_ONLY else {}
    if name == "comparison_scopes":
        design = {"design": "comparison-scopes", "comparison_scopes": ["y", "z"]}
    start_pilot(session, pilot=design)
    message = refused(session, write_spec(tmp_path, make_spec(
        pilot={**design, name: LOCKED_CHANGES[name]})))
    assert f"pilot.{name}: locked since the pilot started on" in message


@pytest.mark.parametrize(("change", "where"), [
    (lambda spec: spec["metrics"][0].update(baseline=0.12), "metrics[churn-90d]"),
    (lambda spec: spec["metrics"][1].update(direction="increase"),
     "metrics[cost-per-contact]"),
    (lambda spec: spec["metrics"].pop(), "metrics[complaints]"),
    (lambda spec: spec["metrics"].append({"key": "nps", "kind": "mean", "role": "secondary",
                                          "direction": "increase"}), "metrics[nps]"),
    (lambda spec: spec["hypothesis"].update(key="another-idea"), "hypothesis.key"),
], ids=["baseline", "direction", "metric-removed", "metric-added", "hypothesis-key"])
def test_a_running_pilot_refuses_metric_and_hypothesis_changes(session, tmp_path, change,
                                                               where):
    start_pilot(session)
    spec = make_spec()
    change(spec)
    assert f"{where}: locked since" in refused(session, write_spec(tmp_path, spec))


def test_a_changed_margin_is_locked(session, tmp_path):
    start_pilot(session)
    spec = make_spec()
    spec["metrics"][1]["margin"] = 3.0
    assert "metrics[cost-per-contact]: locked" in refused(session, write_spec(tmp_path, spec))


def test_a_running_pilot_takes_unlocked_changes(session, tmp_path):
    start_pilot(session)
    spec = make_spec(pilot={"title": "New title", "budget": 30000, "currency": "USD",
                            "team": [{"name": "Li", "function": "compliance"}]})
    spec["metrics"][0]["label"] = "Churn within 90 days"
    assert sync(session, write_spec(tmp_path, spec)).updated == ["x-care-1h"]
    pilot = get_pilot(session, "x-care-1h")
    assert (pilot.title, pilot.budget, pilot.currency, pilot.status) == (
        "New title", 30000, "USD", "running")
    team = session.exec(select(TeamMember.name).where(TeamMember.pilot_id == pilot.id)).all()
    assert team == ["Li"]
    label = session.exec(select(Metric.label).where(Metric.key == "churn-90d")).one()
    assert label == "Churn within 90 days"


def test_a_closed_pilot_takes_no_change(session, tmp_path):
    pilot = start_pilot(session)
    lifecycle.transition(session, pilot=pilot, to="withdrawn", actor=ACTOR)
    session.commit()
    message = refused(session, write_spec(tmp_path, make_spec(pilot={"title": "New"})))
    assert "pilot 'x-care-1h' is withdrawn: its plan is closed; create a new iteration" \
        in message


def test_hypothesis_of_a_started_pilot_is_locked(session, tmp_path):
    start_pilot(session)
    spec = make_spec(key="another", hypothesis={"statement": "Something else entirely"})
    message = refused(session, write_spec(tmp_path, spec))
    assert "hypothesis 'fast-social-care' is locked: started pilot 'x-care-1h' tests it" \
        in message


def test_one_pilot_in_two_files_is_refused(session, tmp_path):
    a = write_spec(tmp_path, make_spec(), name="a.toml")
    b = write_spec(tmp_path, make_spec(), name="b.toml")
    assert f"{b}: pilot.key: pilot 'x-care-1h' is also defined in {a}" in refused(session, a, b)


def test_one_hypothesis_described_two_ways_is_refused(session, tmp_path):
    a = write_spec(tmp_path, make_spec(key="a"))
    b = write_spec(tmp_path, make_spec(key="b", hypothesis={"owner": "raj@bank.example"}))
    assert "hypothesis 'fast-social-care' is described differently in" in refused(session, a, b)


def test_missing_path_and_empty_folder_are_refused(session, tmp_path):
    assert "no such file or folder" in refused(session, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    assert "no pre-registration files" in refused(session, tmp_path / "empty")


def test_a_folder_is_synced_file_by_file(session, tmp_path):
    write_spec(tmp_path, make_spec(key="a"))
    write_spec(tmp_path, make_spec(key="b", pilot={"channel": None, "segment": "retail"}))
    assert sync(session, tmp_path).created == ["a", "b"]


def test_overlapping_pilots_are_warned_about_naming_both(session, tmp_path):
    start_pilot(session)
    other = make_spec(key="x-tone", pilot={"start": "2026-03-01", "end": "2026-05-01"})
    result = sync(session, write_spec(tmp_path, other))
    assert result.warnings == [
        "pilots x-care-1h and x-tone (draft) overlap on channel 'x' from 2026-03-01 to "
        "2026-03-29: each may contaminate the other's results"]
    lifecycle.start(session, pilot_key="x-tone", actor=ACTOR)
    [overlap] = overlaps(session)
    assert (overlap.pilot_a, overlap.pilot_b, overlap.scope) == (
        "x-care-1h", "x-tone", "channel 'x'")


def test_pilots_on_other_scopes_or_dates_do_not_overlap(session):
    start_pilot(session)
    start_pilot(session, key="later", pilot={"start": "2026-04-01", "end": "2026-05-01"})
    start_pilot(session, key="elsewhere", pilot={"channel": "facebook"})
    assert overlaps(session) == []


def test_an_iteration_names_its_revised_parent(session, tmp_path):
    parent = start_pilot(session)
    lifecycle.transition(session, pilot=parent, to="revised", actor=ACTOR)
    session.commit()
    spec = make_spec(key="x-care-1h-v2", pilot={"parent": "x-care-1h"})
    message = refused(session, write_spec(tmp_path, spec))
    assert "pilot 'x-care-1h' already has its next iteration 'x-care-1h-i2'" in message
    spec = make_spec(key="x-care-1h-i2", pilot={"parent": "x-care-1h", "alpha": 0.1})
    assert sync(session, write_spec(tmp_path, spec)).updated == ["x-care-1h-i2"]


def test_parent_must_exist_and_be_revised(session, tmp_path):
    register_pilot(session)
    spec = make_spec(key="next", pilot={"parent": "nobody"})
    assert "pilot.parent: no pilot 'nobody'" in refused(session, write_spec(tmp_path, spec))
    spec = make_spec(key="next", pilot={"parent": "x-care-1h"})
    assert "pilot 'x-care-1h' is draft: only a revised pilot gets a next iteration" in refused(
        session, write_spec(tmp_path, spec))


def test_get_pilot_refuses_an_unknown_key(session):
    with pytest.raises(LookupError, match="no pilot 'nope'"):
        get_pilot(session, "nope")


def test_register_accepts_a_dict_and_refuses_bad_plans(session):
    with pytest.raises(RegistryError, match="pilot.design"):
        registry.register(session, spec=make_spec(pilot={"design": "x"}), actor=ACTOR)
    result = registry.register(session, spec=make_spec(), actor=ACTOR)
    assert result.created == ["x-care-1h"]


def test_a_refused_sync_leaves_nothing_even_if_the_caller_commits(session, tmp_path):
    good = write_spec(tmp_path, make_spec(key="a-good-one"))
    bad = write_spec(tmp_path, make_spec(key="z-bad-one", pilot={"parent": "nobody"}))
    with pytest.raises(RegistryError, match="no pilot 'nobody'"):
        sync_paths(session, paths=[good, bad], actor=ACTOR)
    session.commit()
    assert count(session, Pilot) == 0 and count(session, Channel) == 0


DID = {"design": "diff-in-diff", "planned_periods": 12, "before_periods": 8,
       "planned_sample": 24000}


def test_the_assumed_serial_correlation_is_locked_once_running(session, tmp_path):
    start_pilot(session, pilot=DID)
    spec = make_spec(pilot={**DID, "serial_correlation": 0.7})
    assert "pilot.serial_correlation: locked since the pilot started on" in refused(
        session, write_spec(tmp_path, spec))


def test_a_non_randomized_plan_that_cannot_decide_is_warned_about_with_its_numbers(session):
    spec = make_spec(pilot={**DID, "planned_sample": 1200}, metrics=[
        {"key": "churn-90d", "kind": "proportion", "role": "primary", "direction": "decrease",
         "minimum_effect": 0.01, "baseline": 0.2}])
    [warning] = registry.register(session, spec=spec, actor=ACTOR).warnings
    assert warning.startswith("x-care-1h: diff-in-diff with 8 before- and 12 during-periods "
                              "of 100 units per arm: detects ")
    assert "this design cannot reach 70% power at twice the minimum effect" in warning


def test_a_non_randomized_plan_without_its_volume_says_what_it_lacks(session):
    result = registry.register(session, spec=make_spec(pilot={"design": "baseline"}),
                               actor=ACTOR)
    assert result.warnings == [
        "x-care-1h: what this baseline can detect is not checked: the plan lacks "
        "pilot.before_periods, metrics[churn-90d].baseline"]


def test_a_holdout_gets_no_design_warning(session):
    assert registry.register(session, spec=make_spec(), actor=ACTOR).warnings == []
