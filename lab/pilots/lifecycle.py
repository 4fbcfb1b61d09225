"""The pilot lifecycle, enforced here and only here.

draft (editable) -> running (plan locked) -> one final state: scaled_up, revised or
withdrawn. A running pilot may be paused and resumed (running <-> paused: no data is
logged while paused, and its planned end moves later by the days paused); a paused pilot
can still be signed off, since stopping it is often what a pause leads to. A revised
pilot's next iteration is created as a draft linked to it. Every transition is audited.
"""

from __future__ import annotations

import copy
import re
from datetime import date, timedelta

from sqlmodel import Session

from lab.errors import Conflict
from lab.models import Pilot
from lab.models.base import utcnow
from lab.pilots import approval, audit
from lab.pilots.find import find_pilot, get_pilot, next_iteration_of
from lab.pilots.plans import Preregistration
from lab.pilots.registry import register
from lab.vocabulary import TERMINAL, Status, values

STATUSES = values(Status)
# Which states each state may move to; everything else is refused with a reason.
ALLOWED = {Status.draft: (Status.running,), Status.running: (Status.paused, *TERMINAL),
           Status.paused: (Status.running, *TERMINAL)}
KEY_LENGTH = 80


class TransitionError(Conflict):
    """A lifecycle move that is not allowed; str() says why."""


def start(session: Session, *, pilot_key: str, actor: str,
          approval_required: bool = False) -> Pilot:
    """Start a draft pilot: from now on its plan is locked and metrics can be logged.

    The web, the API and the command line pass the lab's LAB_APPROVAL setting as
    `approval_required`: then the plan as it stands must have a manager's approval.
    """
    pilot = get_pilot(session, pilot_key)
    if pilot.status == Status.paused:
        raise TransitionError(f"pilot '{pilot.key}' is paused: resume it instead")
    if approval_required and pilot.status == "draft":
        approval.require(session, pilot)
    return transition(session, pilot=pilot, to="running", actor=actor)


def pause(session: Session, *, pilot_key: str, actor: str, on: date | None = None) -> Pilot:
    """Pause a running pilot (from today, or the day given): no data until it resumes."""
    return transition(session, pilot=get_pilot(session, pilot_key), to="paused", actor=actor,
                      on=on)


def resume(session: Session, *, pilot_key: str, actor: str, on: date | None = None) -> Pilot:
    """Resume a paused pilot; the days it was paused move its planned end later."""
    pilot = get_pilot(session, pilot_key)
    if pilot.status != Status.paused:
        raise TransitionError(f"pilot '{pilot.key}' is {pilot.status}: only a paused pilot "
                              "can be resumed")
    return transition(session, pilot=pilot, to="running", actor=actor, on=on)


def transition(session: Session, *, pilot: Pilot, to: str, actor: str,
               on: date | None = None) -> Pilot:
    """Move a pilot to another state, or raise TransitionError saying why not.

    ``on`` is the day a pause begins or ends (default today, UTC).
    """
    # Re-read under a row lock (PostgreSQL) so two concurrent moves cannot both pass.
    session.refresh(pilot, with_for_update=True)
    reason = refusal(pilot, to)
    if reason:
        raise TransitionError(reason)
    before = pilot.status
    pilot.status = to
    pilot.updated_at = utcnow()
    after: dict = {"status": to}
    day = on or pilot.updated_at.date()
    if before == Status.paused:
        after["paused_days"] = _end_pause(pilot, day)
    if to == Status.paused:
        pilot.paused_on = day
        after["paused_on"] = day
    elif to == "running" and before == Status.draft:
        pilot.started_at = pilot.updated_at
    session.add(pilot)
    session.flush()
    audit.record(session, actor=actor, action="transition", object_type="pilot",
                 object_key=pilot.key, before={"status": before}, after=after)
    if to == "revised":
        next_iteration(session, pilot=pilot, actor=actor)
    return pilot


def _end_pause(pilot: Pilot, day: date) -> int:
    """Add the days of the pause now ending to the pilot's total; return the total."""
    began = pilot.paused_on or day
    if day < began:
        raise TransitionError(f"pilot '{pilot.key}' was paused on {began}: it cannot "
                              f"resume on {day}, before that")
    pilot.paused_days = (pilot.paused_days or 0) + (day - began).days
    pilot.paused_on = None
    return pilot.paused_days


def planned_end(pilot: Pilot) -> date:
    """Return the pilot's planned end, moved later by the whole days of its ended pauses."""
    return moved_end(pilot.end_date, pilot.paused_days)


def moved_end(end: date, paused_days: int | None) -> date:
    """Return a planned end moved later by the whole days a pilot stood paused."""
    return end + timedelta(days=paused_days or 0)


def without_pauses(plan: Preregistration, paused_days: int) -> Preregistration:
    """Return the plan its analysis reads: the end moved later by the days paused.

    The weeks a pilot stood still do not count toward its planned weeks
    (docs/STATISTICS.md, "Pauses"): the look that reaches the end comes that much later,
    and the periods planned stay as many as the plan's dates gave before the move.
    """
    if not paused_days:
        return plan
    moved = plan.pilot.model_copy(update={
        "end": plan.pilot.end + timedelta(days=paused_days),
        "planned_periods": plan.pilot.planned_periods or plan.pilot.weeks})
    return plan.model_copy(update={"pilot": moved})


def refusal(pilot: Pilot, to: str) -> str | None:
    """Return why the pilot cannot move to this state, or None when it can."""
    if to not in STATUSES:
        return f"unknown state '{to}' (one of {', '.join(STATUSES)})"
    if pilot.status == to:
        return f"pilot '{pilot.key}' is already {to}"
    if pilot.status in TERMINAL:
        return (f"pilot '{pilot.key}' is {pilot.status}, a final state: nothing follows it "
                "(create a new iteration instead)")
    if to in ALLOWED[pilot.status]:
        return None
    if pilot.status == "draft":
        return f"pilot '{pilot.key}' is a draft: it must run before it can be {to}"
    if pilot.status == Status.paused:
        return f"pilot '{pilot.key}' is paused: resume it (or sign it off) instead"
    return (f"pilot '{pilot.key}' is running: its plan is locked and cannot go back to "
            "draft (create a new iteration instead)")


def next_iteration(session: Session, *, pilot: Pilot, actor: str) -> Pilot:
    """Create the draft that follows a revised pilot, linked to it as its parent."""
    if pilot.status != "revised":
        raise TransitionError(f"pilot '{pilot.key}' is {pilot.status}: only a revised pilot "
                              "gets a next iteration")
    child = next_iteration_of(session, pilot.id)
    if child is not None:
        raise TransitionError(f"pilot '{pilot.key}' already has its next iteration '{child}'")
    key = next_key(pilot)
    if find_pilot(session, key) is not None:
        raise TransitionError(f"cannot name the next iteration of '{pilot.key}': "
                              f"pilot '{key}' already exists")
    plan = copy.deepcopy(pilot.plan)
    plan["pilot"].update(key=key, parent=pilot.key)
    register(session, spec=plan, actor=actor, source=f"next iteration of {pilot.key}")
    audit.record(session, actor=actor, action="next_iteration", object_type="pilot",
                 object_key=pilot.key, after={"next": key})
    return get_pilot(session, key)


def next_key(pilot: Pilot) -> str:
    """Name the next iteration: x-care-1h -> x-care-1h-i2 -> x-care-1h-i3."""
    base = re.sub(rf"-i{pilot.iteration}$", "", pilot.key) if pilot.iteration > 1 else pilot.key
    suffix = f"-i{pilot.iteration + 1}"
    return base[:KEY_LENGTH - len(suffix)] + suffix
