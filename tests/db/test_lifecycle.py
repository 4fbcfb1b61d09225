"""lab.pilots.lifecycle: draft -> running -> one final state, every move audited."""

from __future__ import annotations

import pytest

from lab.pilots import audit, lifecycle
from lab.pilots.find import get_pilot
from lab.pilots.lifecycle import TransitionError
from lab.pilots.lock import spec_of
from tests.factories import ACTOR, register_pilot, start_pilot


def test_start_locks_the_plan_and_is_audited(session):
    register_pilot(session)
    pilot = lifecycle.start(session, pilot_key="x-care-1h", actor=ACTOR)
    assert pilot.status == "running" and pilot.started_at is not None
    [event] = audit.events(session, object_key="x-care-1h", action="transition")
    assert (event.actor, event.before, event.after) == (
        ACTOR, {"status": "draft"}, {"status": "running"})


@pytest.mark.parametrize("final", ["scaled_up", "withdrawn", "revised"])
def test_a_running_pilot_moves_to_a_final_state(session, final):
    pilot = start_pilot(session)
    lifecycle.transition(session, pilot=pilot, to=final, actor=ACTOR)
    assert get_pilot(session, "x-care-1h").status == final


@pytest.mark.parametrize(("start", "to", "reason"), [
    ("draft", "scaled_up", "pilot 'x-care-1h' is a draft: it must run before it can be "
                           "scaled_up"),
    ("draft", "draft", "pilot 'x-care-1h' is already draft"),
    ("running", "draft", "pilot 'x-care-1h' is running: its plan is locked and cannot go "
                         "back to draft (create a new iteration instead)"),
    ("running", "running", "pilot 'x-care-1h' is already running"),
    ("running", "frozen", "unknown state 'frozen' (one of draft, running, paused, "
                          "scaled_up, revised, withdrawn)"),
    ("draft", "paused", "pilot 'x-care-1h' is a draft: it must run before it can be paused"),
    ("paused", "draft", "pilot 'x-care-1h' is paused: resume it (or sign it off) instead"),
    ("paused", "paused", "pilot 'x-care-1h' is already paused"),
    ("withdrawn", "running", "pilot 'x-care-1h' is withdrawn, a final state: nothing "
                             "follows it (create a new iteration instead)"),
    ("scaled_up", "withdrawn", "pilot 'x-care-1h' is scaled_up, a final state"),
])
def test_illegal_transitions_are_refused_with_the_reason(session, start, to, reason):
    pilot = register_pilot(session)
    for step in {"draft": [], "running": ["running"], "paused": ["running", "paused"]}.get(
            start, ["running", start]):
        lifecycle.transition(session, pilot=pilot, to=step, actor=ACTOR)
    before = len(audit.events(session))
    with pytest.raises(TransitionError) as caught:
        lifecycle.transition(session, pilot=pilot, to=to, actor=ACTOR)
    assert str(caught.value).startswith(reason)
    assert len(audit.events(session)) == before


def test_start_refuses_an_unknown_pilot(session):
    with pytest.raises(LookupError, match="no pilot 'nope'"):
        lifecycle.start(session, pilot_key="nope", actor=ACTOR)


def test_revising_creates_the_next_iteration_as_a_linked_draft(session):
    pilot = start_pilot(session)
    lifecycle.transition(session, pilot=pilot, to="revised", actor=ACTOR)
    child = get_pilot(session, "x-care-1h-i2")
    assert (child.status, child.iteration, child.parent_id) == ("draft", 2, pilot.id)
    spec = spec_of(child)
    assert spec.pilot.parent == "x-care-1h"
    assert spec.metrics == spec_of(pilot).metrics
    lifecycle.start(session, pilot_key=child.key, actor=ACTOR)
    lifecycle.transition(session, pilot=child, to="revised", actor=ACTOR)
    assert get_pilot(session, "x-care-1h-i3").iteration == 3


def test_next_iteration_only_once_and_only_after_revision(session):
    pilot = start_pilot(session)
    with pytest.raises(TransitionError, match="only a revised pilot gets a next iteration"):
        lifecycle.next_iteration(session, pilot=pilot, actor=ACTOR)
    lifecycle.transition(session, pilot=pilot, to="revised", actor=ACTOR)
    with pytest.raises(TransitionError, match="already has its next iteration 'x-care-1h-i2'"):
        lifecycle.next_iteration(session, pilot=pilot, actor=ACTOR)
