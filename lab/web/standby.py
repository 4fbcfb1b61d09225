"""Pausing and resuming a pilot from its page (members), each move audited."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from lab.pilots import lifecycle
from lab.web.pages import render_pilot
from lab.web.queries import writing
from lab.web.security import role_required

bp = Blueprint("standby", __name__)
MOVES = {"pause": (lifecycle.pause, "is paused: no data is logged until it resumes"),
         "resume": (lifecycle.resume, "is running again: metrics can be logged")}


def _move(key: str, move: str):
    step, said = MOVES[move]
    try:
        with writing() as write:
            step(write, pilot_key=key, actor=current_user.email)
    except lifecycle.TransitionError as error:
        flash(str(error), "error")
        return render_pilot(key, 409)
    flash(f"Pilot {key} {said}.", "success")
    return redirect(url_for("pages.pilot", key=key))


@bp.post("/pilots/<key>/pause")
@role_required("member")
def pause(key: str):
    """Pause a running pilot: no data is logged while it is paused."""
    return _move(key, "pause")


@bp.post("/pilots/<key>/resume")
@role_required("member")
def resume(key: str):
    """Resume a paused pilot; its planned end moves later by the days paused."""
    return _move(key, "resume")
