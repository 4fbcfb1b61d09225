"""`lab approve`: a manager outside a pilot approves its plan before it starts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lab import db
from lab.cli.common import confirm_password, fail
from lab.errors import DomainError
from lab.pilots import approval


@click.command("approve")
@click.argument("pilot", required=False)
@click.option("--by", "approver", metavar="EMAIL",
              help="The approving manager: an active manager outside the pilot, whose "
                   "password is asked (or read from LAB_PASSWORD without a terminal).")
@click.option("--note", default="", help="Why, or on what condition (kept with the approval).")
@click.option("--list", "listing", is_flag=True, help="List the drafts awaiting approval.")
@with_appcontext
def approve_command(pilot: str | None, approver: str | None, note: str,
                    listing: bool) -> None:
    """Approve PILOT's plan as it stands (four eyes), or --list the approval queue."""
    if listing or pilot is None:
        _queue()
        return
    if not approver:
        fail("say who approves: --by EMAIL (an active manager outside the pilot)")
    try:
        email = confirm_password(approver)
        with db.writing(db.engine()) as session:
            row = approval.approve(session, pilot_key=pilot, approver=email, note=note)
            digest = row.plan_hash
    except DomainError as error:
        fail(str(error))
    click.echo(f"pilot {pilot}: plan {digest[:12]} approved by {email}; it may start")


def _queue() -> None:
    """Print each draft with where its approval stands."""
    with db.reading(db.engine()) as session:
        lines = []
        for pilot, found in approval.queue(session):
            by = f" by {found.current.approved_by}" if found.current else ""
            lines.append(f"{pilot.key}\t{found.status}{by}\tplan {found.plan_hash[:12]}"
                         f"\towner {pilot.owner}")
    click.echo("\n".join(lines) if lines else "no drafts: nothing awaits approval")

