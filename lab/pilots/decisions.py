"""Sign-off: management's decision on a running pilot, final and audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from lab.errors import Conflict, Forbidden, Invalid
from lab.models import Decision, Pilot
from lab.models.base import OUTCOMES
from lab.pilots import audit, learnings
from lab.pilots.find import get_pilot
from lab.pilots.lifecycle import transition
from lab.vocabulary import FINAL_STATE  # a decision's outcome and the state it moves to


class DecisionError(Invalid):
    """A sign-off that cannot be accepted; str() says why."""


class DecisionConflict(Conflict, DecisionError):
    """The pilot was already signed off (perhaps a moment ago, by someone else)."""


class OwnerCannotSignOff(Forbidden, DecisionError):
    """The pilot's owner asked to sign off its decision: someone else must."""


def sign_off(session: Session, *, pilot_key: str, outcome: str, rationale: str | None,
             decided_by: str, recommendation: dict[str, Any]) -> Decision:
    """Record the decision on a running pilot and move it to its final state."""
    pilot = get_pilot(session, pilot_key)
    outcome = _outcome(outcome)
    rationale = (rationale or "").strip()
    recommended = recommendation.get("outcome")
    if recommended not in OUTCOMES:
        raise DecisionError(f"the recommendation has no valid outcome (got {recommended!r})")
    _refuse(session, pilot, decided_by, outcome, recommended, rationale)
    decision = Decision(pilot_id=pilot.id, outcome=FINAL_STATE[outcome],
                        recommended=recommended, recommendation=audit.jsonable(recommendation),
                        rationale=rationale, decided_by=decided_by)
    session.add(decision)
    try:
        session.flush()
    except IntegrityError:
        # The unique pilot_id let another sign-off in first.
        raise DecisionConflict(f"pilot '{pilot_key}' was signed off by someone else "
                               "a moment ago") from None
    audit.record(session, actor=decided_by, action="sign_off", object_type="pilot",
                 object_key=pilot.key, after={"outcome": outcome, "recommended": recommended,
                                              "rationale": rationale})
    transition(session, pilot=pilot, to=FINAL_STATE[outcome], actor=decided_by)
    # After the transition, so a revised pilot's card can name its next iteration.
    learnings.create_draft(session, pilot, decision)
    return decision


def decision_of(session: Session, pilot_id: int) -> Decision | None:
    """Return the pilot's signed-off decision, if there is one."""
    return session.exec(select(Decision).where(Decision.pilot_id == pilot_id)).first()


def _outcome(outcome: str) -> str:
    """Accept scale_up/revise/withdraw, or the final state names for them."""
    by_state = {state: action for action, state in FINAL_STATE.items()}
    outcome = by_state.get(outcome, outcome)
    if outcome not in FINAL_STATE:
        raise DecisionError(f"unknown outcome '{outcome}' "
                            f"(one of {', '.join(FINAL_STATE)})")
    return outcome


def may_sign_off(pilot: Pilot, email: str) -> bool:
    """Tell whether this person may sign off the pilot's decision: anyone but its owner."""
    return (email or "").strip().lower() != pilot.owner.strip().lower()


def refuse_owner(pilot: Pilot, email: str) -> None:
    """Raise OwnerCannotSignOff when this person owns the pilot."""
    if not may_sign_off(pilot, email):
        raise OwnerCannotSignOff(f"{email} owns pilot '{pilot.key}' and cannot sign off its "
                                 "decision: another manager must sign it off")


def _refuse(session: Session, pilot: Pilot, decided_by: str, outcome: str, recommended: str,
            rationale: str) -> None:
    """Raise when this person may not sign off this outcome on this pilot now."""
    earlier = decision_of(session, pilot.id)
    if earlier is not None:
        raise DecisionConflict(f"pilot '{pilot.key}' was already signed off "
                               f"({earlier.outcome}) by {earlier.decided_by}")
    if not decided_by or not decided_by.strip():
        raise DecisionError("a decision needs the name of who signs it off")
    refuse_owner(pilot, decided_by)
    if pilot.status != "running":
        raise DecisionError(f"pilot '{pilot.key}' is {pilot.status}: only a running pilot "
                            "can be signed off")
    if outcome != recommended and not rationale:
        raise DecisionError(f"the recommendation is {recommended}: a rationale is required "
                            f"to decide {outcome} instead")


def decisions_by_pilot(session: Session) -> dict[int, Decision]:
    """Return every signed-off decision, by pilot id (one query for the portfolio)."""
    return {decision.pilot_id: decision for decision in session.exec(select(Decision))}
