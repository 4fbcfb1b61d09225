"""Learning cards in the domain: drafted at sign-off, edited by the signer, published,
searched with each database's full-text search, and read as a frame."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from lab.errors import Conflict, Forbidden, Invalid, NotFound
from lab.models import LearningCard, LearningFeedback
from lab.models.governance import AppendOnlyError
from lab.pilots import audit, decisions, learnings
from lab.pilots.plans import PreregistrationError
from lab.portfolio import learnings as library
from tests.factories import start_pilot

BOSS = "mia@bank.example"
RECOMMENDATION = {"outcome": "scale_up", "reasons": ["The primary beat its minimum effect"],
                  "metrics": [{"key": "churn-90d", "role": "primary", "kind": "proportion",
                               "direction": "decrease", "estimate": -0.03,
                               "ci_low": -0.045, "ci_high": -0.015}]}


def decide(session, key="x-care-1h", outcome="scale_up", **overrides):
    start_pilot(session, key=key, **overrides)
    decisions.sign_off(session, pilot_key=key, outcome=outcome,
                       rationale="" if outcome == "scale_up" else "cost too high",
                       decided_by=BOSS, recommendation=RECOMMENDATION)
    session.commit()


def test_a_sign_off_drafts_the_card_from_the_hypothesis_and_recommendation(session):
    decide(session)
    card = learnings.card_of(session, "x-care-1h")
    assert card.believed.startswith("Answering complaints on X within one hour")
    assert "churn-90d" in card.observed and "3.0 points (1.5 to 4.5)" in card.observed
    assert "Scale up was recommended; decided: scaled up" in card.observed
    assert card.learned == "The primary beat its minimum effect"
    assert card.next_step.startswith("Roll it out") and card.published_at is None


def test_a_revised_pilots_card_names_the_next_iteration(session):
    decide(session, outcome="revise")
    card = learnings.card_of(session, "x-care-1h")
    assert "x-care-1h-i2" in card.next_step and card.learned == "cost too high"


def test_only_the_signer_edits_and_publishes_and_each_change_is_audited(session):
    decide(session)
    with pytest.raises(Forbidden, match=f"only {BOSS}"):
        learnings.save(session, pilot_key="x-care-1h", edit={"learned": "x"},
                       actor="ana@bank.example")
    card = learnings.save(session, pilot_key="x-care-1h", actor=BOSS,
                          edit={"learned": "Speed matters more than tone",
                                "tags": "Speed, X ,speed"})
    assert card.tags == "speed,x" and card.observed  # unsaid fields kept
    with pytest.raises(Forbidden):
        learnings.publish(session, pilot_key="x-care-1h", actor="ana@bank.example")
    learnings.publish(session, pilot_key="x-care-1h", actor=BOSS)
    with pytest.raises(Conflict, match="already published"):
        learnings.publish(session, pilot_key="x-care-1h", actor=BOSS)
    actions = [e.action for e in audit.events(session, object_key="x-care-1h")
               if e.action.startswith("learning")]
    assert actions == ["learning.save", "learning.publish"]


@pytest.mark.parametrize(("edit", "where"), [({"learned": ""}, "learned"),
                                             ({"tags": "<b>"}, "tags"),
                                             ({"mood": "good"}, "mood")])
def test_a_bad_edit_is_refused_naming_the_field(session, edit, where):
    decide(session)
    with pytest.raises(PreregistrationError) as raised:
        learnings.save(session, pilot_key="x-care-1h", edit=edit, actor=BOSS)
    assert raised.value.problems[0][0] == where


def test_feedback_only_on_a_published_card_and_never_changed(session):
    decide(session)
    with pytest.raises(NotFound, match="not published"):
        learnings.add_feedback(session, pilot_key="x-care-1h", author="v@x.example",
                               text="useful")
    learnings.publish(session, pilot_key="x-care-1h", actor=BOSS)
    with pytest.raises(Invalid):
        learnings.add_feedback(session, pilot_key="x-care-1h", author="v@x.example",
                               text="  ")
    feedback = learnings.add_feedback(session, pilot_key="x-care-1h", author="v@x.example",
                                      text="We saw the same on Facebook")
    session.commit()
    feedback.text = "changed"
    session.add(feedback)
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    assert [f.text for f in session.exec(select(LearningFeedback))] == [
        "We saw the same on Facebook"]


def test_no_card_without_a_decision(session):
    start_pilot(session)
    with pytest.raises(NotFound, match="no signed-off decision"):
        learnings.card_of(session, "x-care-1h")


def test_the_library_searches_full_text_and_filters(session):
    decide(session)
    decide(session, key="forum-tone", outcome="withdraw",
           pilot={"start": "2026-03-01", "end": "2026-05-01", "channel": "forum"},
           hypothesis={"key": "tone", "process": "service",
                       "statement": "A warmer tone in forum replies earns loyalty"})
    learnings.save(session, pilot_key="x-care-1h", actor=BOSS,
                   edit={"learned": "Customers forgave the complaint when answered quickly",
                         "tags": "speed"})
    learnings.publish(session, pilot_key="x-care-1h", actor=BOSS)
    session.commit()
    keys = lambda **kw: [row.pilot.key for row in library.rows(session, **kw)]  # noqa: E731
    assert keys(query="answering") == ["x-care-1h"]  # stemmed: "answered", "answering"
    assert keys(query="warmer loyalty") == ["forum-tone"]  # every word must match
    assert keys(query="warmer quickly") == []
    assert keys(query="warmer OR quickly") == []  # OR is a word to find, not an operator
    assert keys(query='"* ( :') == ["forum-tone", "x-care-1h"]  # no word: no text filter
    assert keys(filters={"outcome": "withdrawn"}) == ["forum-tone"]
    assert keys(filters={"channel": "forum"}) == ["forum-tone"]
    assert keys(filters={"process": "retention", "tag": "speed"}) == ["x-care-1h"]
    assert keys(published_only=True) == ["x-care-1h"]
    frame = library.learnings_frame(library.rows(session, published_only=True))
    assert frame["outcome"].tolist() == ["scaled_up"] and frame["feedback"].tolist() == [0]
    assert library.filter_problems("x" * 201, {"outcome": "won"}) == [
        ("q", "must be at most 200 characters"),
        ("outcome", "must be one of scaled_up, revised, withdrawn")]
    assert len(session.exec(select(LearningCard)).all()) == 2


def test_the_command_line_and_the_notebook_search_the_library(session, engine, runner):
    from lab.notebook import Lab

    decide(session)
    learnings.save(session, pilot_key="x-care-1h", actor=BOSS,
                   edit={"learned": "Speed beat tone", "tags": "speed"})
    session.commit()
    shown = runner.invoke(args=["learnings", "speed", "--outcome", "scaled_up"])
    assert shown.exit_code == 0 and "learned: Speed beat tone" in shown.output
    assert "no learning card matches" in runner.invoke(
        args=["learnings", "--published"]).output
    rows = runner.invoke(args=["learnings", "--json", "--tag", "speed"]).output.splitlines()
    assert [json.loads(line)["pilot"] for line in rows] == ["x-care-1h"]
    long = runner.invoke(args=["learnings", "x" * 201])
    assert long.exit_code == 1 and "q: must be at most 200" in long.output
    frame = Lab(engine).learnings("speed", process="retention")
    assert frame["pilot"].tolist() == ["x-care-1h"] and frame["tags"].tolist() == ["speed"]
    with pytest.raises(ValueError, match="colour: not a filter"):
        Lab(engine).learnings(colour="red")
