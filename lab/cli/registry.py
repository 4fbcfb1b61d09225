"""`lab sync` and `lab start`: load pre-registrations, start pilots."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

import lab.portfolio.stored  # noqa: F401 (installs the refresher: each write refreshes its pilots)
from lab import db
from lab.cli.common import actor, fail, warn
from lab.pilots import approval, lifecycle, registry
from lab.pilots.overlap import overlaps


@click.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def sync_command(paths: tuple[Path, ...]) -> None:
    """Load pre-registration files (default: experiments/): all of them, or none."""
    try:
        with db.writing(db.engine()) as session:
            result = registry.sync_paths(session, paths=list(paths) or [Path("experiments")],
                                         actor=actor())
    except registry.RegistryError as error:
        fail(f"nothing was synced:\n{error}")
    for label, keys in (("created", result.created), ("updated", result.updated),
                        ("unchanged", result.unchanged)):
        if keys:
            click.echo(f"{label}: {', '.join(keys)}")
    for kind, names in (("channel", result.new_channels), ("segment", result.new_segments)):
        for name in names:
            click.echo(f"new {kind} '{name}' added to the catalogue (check the spelling)")
    for message in result.warnings:
        warn(message)


@click.command("start")
@click.argument("pilot")
@with_appcontext
def start_command(pilot: str) -> None:
    """Start a draft pilot: its plan is locked and metrics can be logged."""
    try:
        with db.writing(db.engine()) as session:
            lifecycle.start(session, pilot_key=pilot, actor=actor(),
                            approval_required=current_app.config["APPROVAL"])
            warnings = [overlap.message for overlap in overlaps(session)
                        if pilot in (overlap.pilot_a, overlap.pilot_b)]
    except (LookupError, lifecycle.TransitionError, approval.NotApproved) as error:
        fail(str(error))
    click.echo(f"pilot {pilot} is running: its plan is locked")
    for message in warnings:
        warn(message)
