"""A small lab for report and notebook-API tests, written through the domain services."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from lab.analysis.pipeline import recommend_pilots
from lab.pilots import decisions, evidence
from lab.pilots.observations import record_observations
from tests.factories import ACTOR, MANAGER, observation_rows, register_pilot, start_pilot

RUNNING, DECIDED, DRAFT = "x-care-1h", "x-care-fb", "x-care-draft"
NOTE = "Customers said <script>alert('x')</script> & thanked the desk"


def populate(session: Session) -> None:
    """Make a running pilot, a withdrawn one with a decision, and a draft; commit."""
    start_pilot(session)
    start_pilot(session, key=DECIDED, pilot={"channel": "facebook", "budget": 8000})
    register_pilot(session, key=DRAFT, pilot={"channel": "instagram"})
    for key in (RUNNING, DECIDED):
        record_observations(session, rows=observation_rows(key, periods=6), actor=ACTOR)
        session.commit()  # one import per transaction, as the web and the CLI do
    evidence.add_spend(session, pilot_key=RUNNING, spent_on=date(2026, 1, 12), amount=4200.0,
                       description="Desk staff, two weeks", actor=ACTOR)
    evidence.add_spend(session, pilot_key=RUNNING, spent_on=date(2026, 1, 26), amount=1800.5,
                       description="Social listening licence ($^$ per seat)", actor=ACTOR)
    evidence.add_note(session, pilot_key=RUNNING, kind="customer-voice",
                      noted_on=date(2026, 1, 20), source="Desk log", text=NOTE, actor=ACTOR)
    session.commit()
    answer = recommend_pilots(session, [DECIDED])[DECIDED].to_dict()
    decisions.sign_off(session, pilot_key=DECIDED, outcome="withdraw",
                       rationale="The channel is being closed", decided_by=MANAGER,
                       recommendation=answer)
    session.commit()
