"""Sign-off: management's decision on a running pilot, final and audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lab.errors import Conflict, Forbidden, Invalid
from lab.models import AuditEvent, Decision, Pilot
from lab.models.base import OUTCOMES
from lab.pilots import audit, learnings
from lab.pilots.find import get_pilot
from lab.pilots.lifecycle import transition
from lab.vocabulary import FINAL_STATE, Status  # FINAL_STATE: an outcome's final state


class DecisionError(Invalid):
    """A sign-off that cannot be accepted; str() says why."""


class DecisionConflict(Conflict, DecisionError):
    """The pilot was already signed off (perhaps a moment ago, by someone else)."""


class OwnerCannotSignOff(Forbidden, DecisionError):
    """The pilot's owner asked to sign off its decision: someone else must."""


def sign_off(session: Session, *, pilot_key: str, outcome: str, rationale: str | None,
             decided_by: str, recommendation: dict[str, Any], via: str = "web",
             decided_at: datetime | None = None) -> Decision:
    """Record the decision on a running pilot and move it to its final state.

    `via` says where it was signed (web, command line), for the audit log; `decided_at`
    dates a decision taken earlier (the demo's story), else it is now.
    """
    pilot = get_pilot(session, pilot_key)
    outcome = _outcome(outcome)
    rationale = (rationale or "").strip()
    recommended = recommendation.get("outcome")
    if recommended not in OUTCOMES:
        raise DecisionError(f"the recommendation has no valid outcome (got {recommended!r})")
    _refuse(session, pilot, decided_by, outcome, recommended, rationale)
    decision = Decision(pilot_id=pilot.id, outcome=FINAL_STATE[outcome],
                        recommended=recommended, recommendation=audit.jsonable(recommendation),
                        rationale=rationale, decided_by=decided_by,
                        **({"decided_at": decided_at} if decided_at else {}))
    session.add(decision)
    try:
        session.flush()
    except IntegrityError:
        # The unique pilot_id let another sign-off in first.
        raise DecisionConflict(f"pilot '{pilot_key}' was signed off by someone else "
                               "a moment ago") from None
    audit.record(session, actor=decided_by, action="sign_off", object_type="pilot",
                 object_key=pilot.key, after={"outcome": outcome, "recommended": recommended,
                                              "rationale": rationale, "via": via})
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


def barred_signers(session: Session, pilot: Pilot) -> dict[str, str]:
    """Return who may not sign off the pilot (e-mail, lower case) and why, in words.

    Four eyes: the pilot's owner, whoever registered it and whoever started it. The
    plan's owner is typed by whoever registers, so the audit log (who did what, kept
    append-only) says who registered and started it.
    """
    barred = {pilot.owner.strip().lower(): "owns"}
    events = session.exec(select(AuditEvent).where(
        AuditEvent.object_type == "pilot", AuditEvent.object_key == pilot.key,
        col(AuditEvent.action).in_(("create", "transition"))).order_by(col(AuditEvent.id)))
    for event in events:
        if event.action == "create":
            barred.setdefault(event.actor.strip().lower(), "registered")
        elif (event.after or {}).get("status") == "running" and (
                event.before or {}).get("status") in (None, "draft"):  # not a resume
            barred.setdefault(event.actor.strip().lower(), "started")
    return barred


def may_sign_off(session: Session, pilot: Pilot, email: str) -> bool:
    """Tell whether this person may sign off the pilot's decision (see barred_signers)."""
    return (email or "").strip().lower() not in barred_signers(session, pilot)


def refuse_owner(session: Session, pilot: Pilot, email: str) -> None:
    """Raise OwnerCannotSignOff when this person owns, registered or started the pilot."""
    why = barred_signers(session, pilot).get((email or "").strip().lower())
    if why is not None:
        raise OwnerCannotSignOff(f"{email} {why} pilot '{pilot.key}' and cannot sign off its "
                                 "decision: another manager must sign it off (whoever "
                                 "registered, started or owns a pilot cannot)")


def _refuse(session: Session, pilot: Pilot, decided_by: str, outcome: str, recommended: str,
            rationale: str) -> None:
    """Raise when this person may not sign off this outcome on this pilot now."""
    earlier = decision_of(session, pilot.id)
    if earlier is not None:
        raise DecisionConflict(f"pilot '{pilot.key}' was already signed off "
                               f"({earlier.outcome}) by {earlier.decided_by}")
    if not decided_by or not decided_by.strip():
        raise DecisionError("a decision needs the name of who signs it off")
    refuse_owner(session, pilot, decided_by)
    if pilot.status not in (Status.running, Status.paused):
        raise DecisionError(f"pilot '{pilot.key}' is {pilot.status}: only a running pilot "
                            "can be signed off (or a paused one)")
    if outcome != recommended and not rationale:
        raise DecisionError(f"the recommendation is {recommended}: a rationale is required "
                            f"to decide {outcome} instead")


SIGNED = ("outcome", "recommended", "decided_by", "decided_at", "rationale")


def decisions_by_pilot(session: Session) -> dict[int, dict[str, Any]]:
    """Return every signed-off decision's SIGNED fields, by pilot id (one query).

    The columns, not the entities: each decision keeps a copy of the recommendation it
    was signed against, which the portfolio does not show and need not decode.
    """
    columns = [getattr(Decision, name) for name in SIGNED]
    return {pilot_id: dict(zip(SIGNED, values, strict=True))
            for pilot_id, *values in session.execute(select(Decision.pilot_id, *columns))}
