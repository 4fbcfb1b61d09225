"""`lab decide`: a manager signs off a running pilot's decision."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlmodel import Session

import lab.portfolio.stored  # noqa: F401 (installs the refresher: each write refreshes its pilots)
from lab import db
from lab.accounts import find_user, role_at_least
from lab.analysis import pipeline
from lab.cli.common import confirm_password, fail
from lab.errors import DomainError
from lab.pilots.find import next_iteration_of
from lab.vocabulary import DECIDED


@click.command("decide")
@click.argument("pilot")
@click.argument("outcome", type=click.Choice([str(outcome) for outcome in DECIDED]))
@click.option("--by", "decided_by", required=True, metavar="EMAIL",
              help="The manager signing off (an active account with the manager role); "
                   "asks that manager's password (or reads LAB_PASSWORD without a terminal).")
@click.option("--rationale", default="",
              help="Why; required when the outcome differs from the recommendation.")
@with_appcontext
def decide_command(pilot: str, outcome: str, decided_by: str, rationale: str) -> None:
    """Sign off a running pilot: scale it up, revise it or withdraw it.

    Four eyes: the manager proves who is typing with their password, and may not be
    whoever owns, registered or started the pilot.
    """
    decided_by = confirm_password(decided_by)
    try:
        with db.writing(db.engine()) as session:
            _require_manager(session, decided_by)
            decision = pipeline.sign_off(session, pilot_key=pilot, outcome=outcome,
                                         rationale=rationale, decided_by=decided_by,
                                         via="command line")
            report = (f"pilot {pilot}: {decision.outcome}, signed off by {decided_by} "
                      f"(recommended: {decision.recommended})")
            next_key = next_iteration_of(session, decision.pilot_id)
    except DomainError as error:
        fail(str(error))
    click.echo(report)
    if next_key:
        click.echo(f"its next iteration {next_key} was created as a draft")


def _require_manager(session: Session, email: str) -> None:
    """Refuse a sign-off by anyone but an active manager (or admin)."""
    user = find_user(session, email)
    if user is None or not user.active or not role_at_least(user.role, "manager"):
        fail(f"{email} is not an active manager: only managers sign off decisions")
