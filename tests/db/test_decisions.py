"""lab.pilots.decisions: sign-off by someone other than the owner, final, audited."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lab import db
from lab.analysis import pipeline
from lab.models import Decision
from lab.models.governance import AppendOnlyError
from lab.pilots import audit, decisions, lifecycle, registry
from lab.pilots.decisions import DecisionConflict, DecisionError, OwnerCannotSignOff, sign_off
from lab.pilots.find import get_pilot
from lab.pilots.observations import record_observations
from tests.factories import (
    MANAGER,
    OWNER,
    log_rows,
    make_spec,
    observation_rows,
    register_pilot,
    start_pilot,
)

RECOMMENDATION = {"pilot": "x-care-1h", "outcome": "scale_up", "reasons": ["it works"]}


def decide(session, outcome="scale_up", rationale="", by=MANAGER, recommendation=None):
    return sign_off(session, pilot_key="x-care-1h", outcome=outcome, rationale=rationale,
                    decided_by=by, recommendation=recommendation or RECOMMENDATION)


def test_sign_off_records_the_decision_and_closes_the_pilot(session):
    start_pilot(session)
    decision = decide(session)
    assert (decision.outcome, decision.recommended, decision.decided_by) == (
        "scaled_up", "scale_up", MANAGER)
    assert decision.recommendation == RECOMMENDATION
    assert get_pilot(session, "x-care-1h").status == "scaled_up"
    [event] = audit.events(session, object_key="x-care-1h", action="sign_off")
    assert event.after["outcome"] == "scale_up"


def test_the_owner_cannot_sign_off(session):
    start_pilot(session)
    with pytest.raises(DecisionError, match="owns pilot 'x-care-1h' and cannot sign off"):
        decide(session, by=OWNER.upper())


def test_a_rationale_is_required_to_depart_from_the_recommendation(session):
    start_pilot(session)
    with pytest.raises(DecisionError, match="the recommendation is scale_up: a rationale is "
                                            "required to decide withdraw instead"):
        decide(session, outcome="withdraw", rationale="  ")
    decision = decide(session, outcome="withdraw", rationale="Compliance said no")
    assert decision.rationale == "Compliance said no"


def test_revise_creates_the_next_iteration(session):
    pilot = start_pilot(session)
    decide(session, outcome="revise", rationale="Too slow to reply",
           recommendation={"outcome": "continue"})
    assert get_pilot(session, "x-care-1h").status == "revised"
    assert get_pilot(session, "x-care-1h-i2").parent_id == pilot.id


def test_only_a_running_pilot_can_be_signed_off(session):
    register_pilot(session)
    with pytest.raises(DecisionError, match="is draft: only a running pilot can be signed off"):
        decide(session)


def test_a_second_sign_off_is_a_conflict(session):
    start_pilot(session)
    decide(session)
    with pytest.raises(DecisionConflict, match="already signed off"):
        decide(session, outcome="withdraw", rationale="changed my mind")


def test_unknown_outcome_and_bad_recommendation_are_refused(session):
    start_pilot(session)
    with pytest.raises(DecisionError, match="unknown outcome 'maybe'"):
        decide(session, outcome="maybe")
    with pytest.raises(DecisionError, match="no valid outcome"):
        decide(session, recommendation={"outcome": "perhaps"})


def test_a_concurrent_second_sign_off_fails_on_the_unique_constraint(session, engine,
                                                                     monkeypatch):
    """When another sign-off commits between our check and our insert, the unique
    pilot_id refuses ours and sign_off reports a DecisionConflict."""
    pilot = start_pilot(session)
    with db.writing(engine) as other:
        other.add(Decision(pilot_id=pilot.id, outcome="withdrawn", recommended="scale_up",
                           decided_by="other@bank.example"))
    session.commit()
    monkeypatch.setattr(decisions, "decision_of", lambda *_: None)  # checked just before
    with pytest.raises(DecisionConflict, match="signed off by someone else a moment ago"):
        decide(session)
    session.rollback()
    assert get_pilot(session, "x-care-1h").status == "running"


def test_decisions_are_never_edited(session):
    start_pilot(session)
    decide(session)
    session.commit()
    decision = session.exec(select(Decision)).one()
    decision.rationale = "rewritten"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    assert decisions.decision_of(session, decision.pilot_id).rationale == ""


def test_the_owner_may_not_sign_off(session):
    pilot = register_pilot(session)
    assert not decisions.may_sign_off(session, pilot, f"  {OWNER.upper()} ")
    assert decisions.may_sign_off(session, pilot, MANAGER)
    with pytest.raises(OwnerCannotSignOff) as refused:
        decisions.refuse_owner(session, pilot, OWNER)
    assert refused.value.status == 403
    decisions.refuse_owner(session, pilot, MANAGER)


REGISTRAR, STARTER = "max@bank.example", "sam@bank.example"


def test_whoever_registered_or_started_the_pilot_may_not_sign_off_either(session, engine):
    # Issue 10 item 12: a manager registered a pilot naming someone else its owner,
    # started it and logged its data; the audit log says who, and the rule reads it.
    registry.register(session, spec=make_spec(), actor=REGISTRAR)
    lifecycle.start(session, pilot_key="x-care-1h", actor=STARTER)
    session.commit()
    log_rows(engine, observation_rows(periods=3))
    pilot = get_pilot(session, "x-care-1h")
    assert decisions.barred_signers(session, pilot) == {
        OWNER: "owns", REGISTRAR: "registered", STARTER: "started"}
    for who, why in ((REGISTRAR.upper(), "registered"), (STARTER, "started")):
        with pytest.raises(OwnerCannotSignOff, match=f"{why} pilot 'x-care-1h' and cannot "
                                                     "sign off"), db.writing(engine) as write:
            pipeline.sign_off(write, pilot_key="x-care-1h", outcome="withdraw",
                              rationale="x", decided_by=who)
        with pytest.raises(OwnerCannotSignOff):
            decide(session, "withdraw", "x", by=who)
        session.rollback()
    with db.reading(engine) as reader:
        assert reader.exec(select(Decision)).all() == []
    assert decisions.may_sign_off(session, pilot, MANAGER)
    decide(session, "withdraw", "x")


def test_the_workflow_signs_off_on_the_recommendation_inside_the_transaction(session, engine):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=3))
    with db.writing(engine) as write:
        # Rows not yet committed: only a recommendation made in this transaction sees them.
        record_observations(write, rows=observation_rows(periods=6)[18:], actor=MANAGER)
        expected = pipeline.recommend_pilots(write, ["x-care-1h"])["x-care-1h"].to_dict()
        decision = pipeline.sign_off(write, pilot_key="x-care-1h", outcome="withdraw",
                                     rationale="Compliance said no", decided_by=MANAGER)
        assert decision.recommendation == audit.jsonable(expected)
        assert decision.recommended == expected["outcome"]
    session.rollback()
    assert get_pilot(session, "x-care-1h").status == "withdrawn"


def test_the_workflow_refuses_the_owner_and_a_draft_recording_nothing(session, engine):
    register_pilot(session)
    with pytest.raises(OwnerCannotSignOff, match="owns pilot 'x-care-1h'"), \
            db.writing(engine) as write:
        pipeline.sign_off(write, pilot_key="x-care-1h", outcome="withdraw", rationale="x",
                          decided_by=OWNER)
    with pytest.raises(DecisionError, match="'x-care-1h' is a draft: only a running pilot"), \
            db.writing(engine) as write:
        pipeline.sign_off(write, pilot_key="x-care-1h", outcome="withdraw", rationale="x",
                          decided_by=MANAGER)
    session.rollback()
    assert session.exec(select(Decision)).all() == []
