"""`lab pause` and `lab resume`: stop a running pilot for now, and start it again."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

import lab.portfolio.stored  # noqa: F401 (installs the refresher: each write refreshes its pilots)
from lab import db
from lab.cli.common import actor, fail
from lab.pilots import lifecycle


def _move(step, pilot: str) -> tuple:
    try:
        with db.writing(db.engine()) as session:
            found = step(session, pilot_key=pilot, actor=actor())
            return found.status, found.paused_days, lifecycle.planned_end(found)
    except (LookupError, lifecycle.TransitionError) as error:
        fail(str(error))


@click.command("pause")
@click.argument("pilot")
@with_appcontext
def pause_command(pilot: str) -> None:
    """Pause a running pilot: no data is logged until it resumes."""
    _move(lifecycle.pause, pilot)
    click.echo(f"pilot {pilot} is paused: no data is logged until `lab resume {pilot}`")


@click.command("resume")
@click.argument("pilot")
@with_appcontext
def resume_command(pilot: str) -> None:
    """Resume a paused pilot: its planned end moves later by the days it was paused."""
    _, days, end = _move(lifecycle.resume, pilot)
    click.echo(f"pilot {pilot} is running again; {days} days paused in all, "
               f"planned end now {end}")
