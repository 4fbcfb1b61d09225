"""The backlog of hypotheses in the domain: scores, priority, ranking, calibration."""

from __future__ import annotations

import pytest

from lab.config import parse_weights
from lab.errors import Conflict, NotFound
from lab.pilots import audit, backlog, decisions
from lab.pilots.plans import PreregistrationError
from lab.portfolio import backlog as read
from tests.factories import ACTOR, make_spec, start_pilot

WEIGHTS = parse_weights("impact=3,fit=2,effort=2,confidence=1")


def idea(key: str, **scores) -> dict:
    return {"hypothesis": {"key": key, "statement": f"Customers respond to {key}",
                           "process": "retention", "expected_benefit": "churn falls",
                           "sponsors": ["service"], "owner": "ana@bank.example"},
            "function": "service", **scores}


def test_an_idea_joins_the_backlog_scored_and_audited(session):
    row = backlog.add(session, entry=idea("co-design", impact=5, fit=4, effort=2,
                                          confidence=3, expected_value=2.0,
                                          expected_unit="points of churn"), actor=ACTOR)
    session.commit()
    assert (row.impact, row.effort, row.expected_unit) == (5, 2, "points of churn")
    # (3*1 + 2*0.75 + 2*(1-0.25) + 1*0.5) / 8 = 0.8125
    assert backlog.priority(row, WEIGHTS) == 81.2
    assert backlog.band(81.2) == "high"
    actions = [event.action for event in audit.events(session, object_key="co-design")]
    assert actions == ["create", "score"]


def test_rescoring_keeps_the_unsaid_fields_and_logs_before_and_after(session):
    backlog.add(session, entry=idea("callbacks", impact=2, fit=2, effort=4, confidence=2),
                actor=ACTOR)
    row = backlog.score(session, key="callbacks", scores={"impact": 4}, actor="kim@x.example")
    assert (row.impact, row.fit, row.updated_by) == (4, 2, "kim@x.example")
    event = audit.events(session, object_key="callbacks", action="score")[-1]
    assert event.before["impact"] == 2 and event.after["impact"] == 4


def test_unscored_entries_rank_last_and_the_ranking_follows_the_weights(session):
    backlog.add(session, entry=idea("low", impact=1, fit=1, effort=5, confidence=1),
                actor=ACTOR)
    backlog.add(session, entry=idea("high", impact=5, fit=5, effort=1, confidence=5),
                actor=ACTOR)
    backlog.add(session, entry=idea("blank"), actor=ACTOR)
    backlog.add(session, entry=idea("cheap", impact=2, fit=2, effort=1, confidence=2),
                actor=ACTOR)
    ranked = [row.hypothesis.key for row in read.rows(session, WEIGHTS)]
    assert ranked == ["high", "cheap", "low", "blank"]
    effort_only = parse_weights("effort=1")
    assert [row.hypothesis.key for row in read.rows(session, effort_only)][:2] == \
        ["cheap", "high"]
    assert read.rows(session, WEIGHTS)[-1].band == "unscored"


def test_filters_pick_process_function_band_and_state(session):
    backlog.add(session, entry=idea("a", impact=5, fit=5, effort=1, confidence=5),
                actor=ACTOR)
    other = idea("b", impact=1, fit=1, effort=5, confidence=1)
    other["hypothesis"]["process"], other["function"] = "onboarding", "marketing"
    backlog.add(session, entry=other, actor=ACTOR)
    keys = lambda **f: [r.hypothesis.key for r in read.rows(session, WEIGHTS, f)]  # noqa: E731
    assert keys(process="onboarding") == ["b"]
    assert keys(function="service") == ["a"]
    assert keys(band="low") == ["b"]
    assert keys(state="open", band="high") == ["a"]
    assert read.filter_problems({"band": "huge", "process": ""}) == [
        ("band", "must be one of high, medium, low, unscored")]


@pytest.mark.parametrize(("change", "where"), [
    ({"impact": 6}, "impact"),
    ({"effort": 0}, "effort"),
    ({"function": "legal"}, "function"),
    ({"expected_value": float("nan")}, "expected_value"),
    ({"colour": "red"}, "colour"),
])
def test_bad_scores_are_refused_naming_the_field(session, change, where):
    with pytest.raises(PreregistrationError) as raised:
        backlog.add(session, entry=idea("x", **change), actor=ACTOR)
    assert raised.value.problems[0][0] == where
    session.rollback()
    assert read.rows(session, WEIGHTS) == []


def test_a_known_hypothesis_is_not_added_twice_and_an_unknown_one_not_scored(session):
    backlog.add(session, entry=idea("once"), actor=ACTOR)
    with pytest.raises(Conflict, match="already exists"):
        backlog.add(session, entry=idea("once"), actor=ACTOR)
    with pytest.raises(NotFound):
        backlog.score(session, key="never", scores={"impact": 3}, actor=ACTOR)


def test_a_pilots_hypothesis_can_be_scored_and_calibration_counts_decisions(session):
    start_pilot(session)
    start_pilot(session, key="x-tone", pilot={"start": "2026-03-01", "end": "2026-05-01"},
                hypothesis={"key": "tone"})
    backlog.score(session, key="fast-social-care", actor=ACTOR,
                  scores={"impact": 5, "fit": 5, "effort": 2, "confidence": 4})
    backlog.score(session, key="tone", actor=ACTOR,
                  scores={"impact": 1, "fit": 2, "effort": 4, "confidence": 1})
    for key, outcome in (("x-care-1h", "scale_up"), ("x-tone", "withdraw")):
        decisions.sign_off(session, pilot_key=key, outcome=outcome, rationale="test",
                           decided_by="mia@bank.example", recommendation={"outcome": outcome})
    session.commit()
    listed = read.rows(session, WEIGHTS)
    assert [(row.hypothesis.key, row.band, row.state) for row in listed] == [
        ("fast-social-care", "high", "supported"), ("tone", "low", "refuted")]
    bands = {record.band: record for record in read.calibration(listed)}
    assert (bands["high"].decided, bands["high"].scale_up, bands["high"].win_rate) == (1, 1, 1.0)
    assert (bands["low"].withdraw, bands["low"].win_rate) == (1, 0.0)
    assert bands["medium"].win_rate is None
    frame = read.backlog_frame(listed)
    assert frame["hypothesis"].tolist() == ["fast-social-care", "tone"]
    assert frame["scaled_up"].tolist() == [1, 0] and str(frame["priority"].dtype) == "Float64"
    assert make_spec()  # the factories' plan is untouched by scoring


def test_the_notebook_reads_the_backlog_and_refuses_an_unknown_filter(session, engine):
    from lab.notebook import Lab

    backlog.add(session, entry=idea("a", impact=5, fit=5, effort=1, confidence=5),
                actor=ACTOR)
    session.commit()
    frame = Lab(engine).backlog(band="high")
    assert frame["hypothesis"].tolist() == ["a"] and frame["priority"].tolist() == [100.0]
    assert str(frame["impact"].dtype) == "Int64"
    with pytest.raises(ValueError, match="colour: not a filter"):
        Lab(engine).backlog(colour="red")
    with pytest.raises(ValueError, match="band: must be one of"):
        Lab(engine).backlog(band="huge")


def test_the_demo_ranks_a_scored_backlog_with_ideas_not_yet_piloted(tmp_path):
    from lab import db, demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    demo.build(url)
    with db.reading(db.engine_for(url)) as session:
        listed = read.rows(session, WEIGHTS)
    assert listed[0].hypothesis.key == "fast-social-care"
    assert listed[-1].hypothesis.key == "retention-callback-renewal"  # unscored: last
    assert {row.hypothesis.key for row in listed if not row.pilots} == {
        "x-complaint-status", "forum-beta-panel", "retention-callback-renewal"}
    db.engine_for(url).dispose()
