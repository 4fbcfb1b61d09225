"""`lab check`: the recommendation for each pilot, as a table or as JSON."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask.cli import with_appcontext

from lab import db
from lab.analysis.pipeline import recommend_pilots
from lab.cli.common import fail
from lab.cli.table import format_table
from lab.models import Decision, Pilot
from lab.words import day, status_word


def standing(session) -> dict[str, str]:
    """Say each pilot's status and, once signed off, the decision: who and when."""
    from sqlmodel import col, select

    rows = session.exec(select(Pilot, Decision)
                        .outerjoin(Decision, col(Decision.pilot_id) == Pilot.id)).all()
    return {pilot.key: status_word(pilot.status) + (
        f", signed off by {decision.decided_by} on {day(decision.decided_at)}"
        if decision else "") for pilot, decision in rows}


@click.command("check")
@click.argument("pilots", nargs=-1)
@click.option("--json", "as_json", is_flag=True,
              help="Print Recommendation.to_dict() (a list, one pilot per line, unless one "
                   "pilot is named).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Check with the data logged for periods up to this date.")
@with_appcontext
def check_command(pilots: tuple[str, ...], as_json: bool, as_of: datetime | None) -> None:
    """Check pilots (default: every pilot past draft) and print the recommendations."""
    with db.reading(db.engine()) as session:
        try:
            found = recommend_pilots(session, list(pilots) or None,
                                     as_of=as_of.date() if as_of else None)
        except LookupError as error:
            fail(str(error))
    missing = [key for key in pilots if key not in found]
    if missing:
        fail(f"pilot '{missing[0]}' is a draft: start it before checking it")
    recommendations = [found[key] for key in pilots] if pilots else list(found.values())
    if not as_json:
        with db.reading(db.engine()) as session:
            states = standing(session)
        click.echo(format_table(recommendations, states))
        return
    documents = [recommendation.to_dict() for recommendation in recommendations]
    if len(pilots) == 1:
        click.echo(json.dumps(documents[0], indent=2, allow_nan=False))
        return
    # A list prints one pilot per line: readable, easy to grep, and written by json's C
    # encoder (an indented dump of a large portfolio takes the pure-Python one, ~5x slower).
    lines = ",\n".join(json.dumps(document, allow_nan=False) for document in documents)
    click.echo(f"[\n{lines}\n]" if documents else "[]")
