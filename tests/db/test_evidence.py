"""lab.pilots.evidence: spend and notes against a pilot, checked and audited."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from lab.pilots import audit, evidence
from lab.pilots.evidence import EvidenceError
from tests.factories import ACTOR, register_pilot

DAY = date(2026, 2, 2)


def test_spend_adds_up_and_is_audited(session):
    pilot = register_pilot(session)
    assert evidence.spend_total(session, pilot.id) == 0
    evidence.add_spend(session, pilot_key=pilot.key, spent_on=DAY, amount=1200.5,
                       description="Agency fees", actor=ACTOR)
    evidence.add_spend(session, pilot_key=pilot.key, spent_on=DAY, amount=300,
                       description="Tooling", actor=ACTOR)
    assert evidence.spend_total(session, pilot.id) == 1500.5
    assert len(audit.events(session, object_key=pilot.key, action="add_spend")) == 2


@pytest.mark.parametrize(("amount", "description", "spent_on", "reason"), [
    (-1, "x", DAY, "amount must be a finite number, 0 or more"),
    (float("inf"), "x", DAY, "amount must be a finite number"),
    ("12", "x", DAY, "amount must be a finite number"),
    (10, "   ", DAY, "description is required"),
    (10, "x", "2026-02-02", "spent_on must be a date"),
    (10, "x", datetime(2026, 2, 2, 10), "spent_on must be a date"),
])
def test_bad_spend_is_refused(session, amount, description, spent_on, reason):
    pilot = register_pilot(session)
    with pytest.raises(EvidenceError, match=reason):
        evidence.add_spend(session, pilot_key=pilot.key, spent_on=spent_on, amount=amount,
                           description=description, actor=ACTOR)


def test_note_is_recorded_and_audited(session):
    pilot = register_pilot(session)
    note = evidence.add_note(session, pilot_key=pilot.key, kind="customer-voice",
                             noted_on=DAY, source="Tweet by a customer",
                             text="Finally an answer within the hour!", actor=ACTOR)
    assert (note.kind, note.recorded_by) == ("customer-voice", ACTOR)
    [event] = audit.events(session, object_key=pilot.key, action="add_note")
    assert event.after["kind"] == "customer-voice"


@pytest.mark.parametrize(("kind", "source", "text", "reason"), [
    ("gossip", "s", "t", "unknown note kind 'gossip'"),
    ("risk", "", "t", "source is required"),
    ("risk", "s", " ", "text is required"),
    ("risk", "s" * 201, "t", "source is too long"),
])
def test_bad_note_is_refused(session, kind, source, text, reason):
    pilot = register_pilot(session)
    with pytest.raises(EvidenceError, match=reason):
        evidence.add_note(session, pilot_key=pilot.key, kind=kind, noted_on=DAY,
                          source=source, text=text, actor=ACTOR)


def test_unknown_pilot_is_refused(session):
    with pytest.raises(LookupError, match="no pilot 'nope'"):
        evidence.add_note(session, pilot_key="nope", kind="risk", noted_on=DAY, source="s",
                          text="t", actor=ACTOR)
