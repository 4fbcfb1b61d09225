"""The API's stand-by operations: a pilot's fired rules, pausing and resuming it.

Declared on the API's own blueprint (`lab.web.api.api`), like `lab.web.programmeapi`.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from lab import db
from lab.pilots import evidence, firings, lifecycle, reads
from lab.web import replies
from lab.web import schemas as s
from lab.web.api import api, pilot_row
from lab.web.queries import writing
from lab.web.schemas import Reply


class FiredRuleOut(Reply):
    rule: int
    metric: str
    when: str
    side: str
    threshold: float
    value: float
    look: int
    period: str
    action: str
    fired_at: str | None
    notify: list[str]
    rule_words: str
    words: str


class StandbyOut(Reply):
    pilot: str
    status: str
    paused_on: str | None
    paused_days: int
    planned_end: str
    rules: list[dict[str, Any]]
    fired: list[FiredRuleOut]
    proposes_withdrawal: bool


def standby_of(session, key: str) -> StandbyOut:
    """Describe a pilot's stand-by rules, what fired, and its pauses."""
    pilot = reads.pilot_row(session, key).pilot
    fired = firings.by_pilot(session, [pilot.id]).get(pilot.id, [])
    return StandbyOut(pilot=pilot.key, status=pilot.status,
                      paused_on=pilot.paused_on.isoformat() if pilot.paused_on else None,
                      paused_days=pilot.paused_days or 0,
                      planned_end=lifecycle.planned_end(pilot).isoformat(),
                      rules=list(pilot.plan.get("standby") or []),
                      fired=[FiredRuleOut(**entry) for entry in fired],
                      proposes_withdrawal=firings.proposes_withdrawal(fired))


@api.route("GET", "/pilots/<key>/standby", summary="A pilot's stand-by rules and those fired",
           reply=StandbyOut)
def get_standby(key: str):
    """The plan's stand-by rules, the ones that fired (look, value, threshold), the pauses."""
    pilot_row(key)
    return standby_of(db.session(), key)


def _move(key: str, step) -> s.PilotOut:
    with writing() as write:
        step(write, pilot_key=key, actor=current_user.email)
        row = reads.pilot_row(write, key)
        return replies.pilot_out(write, row, evidence.spend_total(write, row.pilot.id))


@api.route("POST", "/pilots/<key>/pause", summary="Pause a running pilot (no data while paused)",
           reply=s.PilotOut, role="member", conflicts=True)
def pause_pilot(key: str):
    """Pause a running pilot."""
    return _move(key, lifecycle.pause)


@api.route("POST", "/pilots/<key>/resume", summary="Resume a paused pilot",
           reply=s.PilotOut, role="member", conflicts=True)
def resume_pilot(key: str):
    """Resume a paused pilot; its planned end moves later by the days it was paused."""
    return _move(key, lifecycle.resume)
