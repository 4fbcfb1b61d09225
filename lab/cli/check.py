"""`lab check`: the recommendation for each pilot, as a table or as JSON.

It prints the stored answers (`lab.pilots.stored`), which every write keeps current, so
it starts without pandas, SciPy or the analysis: the analysis is imported only for
`--as-of` (a check of the past is computed), `--refresh`, or a pilot with no stored
answer yet (a database just upgraded).
"""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask.cli import with_appcontext
from sqlmodel import col, select

from lab import db
from lab.cli.common import fail
from lab.cli.table import format_table
from lab.models import Decision, Pilot, StandbyFiring
from lab.pilots import stored
from lab.pilots.find import pilot_keys_known
from lab.words import day, status_word


def standing(session) -> dict[str, str]:
    """Say each pilot's status and, once signed off, the decision: who and when."""
    rows = session.exec(select(Pilot, Decision)
                        .outerjoin(Decision, col(Decision.pilot_id) == Pilot.id)).all()
    fired: dict[int, set[str]] = {}
    for pilot_id, action in session.exec(select(StandbyFiring.pilot_id, StandbyFiring.action)):
        fired.setdefault(pilot_id, set()).add(action)
    return {pilot.key: status_word(pilot.status) + (
        f", signed off by {decision.decided_by} on {day(decision.decided_at)}"
        if decision else "") + _standby(fired.get(pilot.id)) for pilot, decision in rows}


def _standby(actions: set[str] | None) -> str:
    """Say that a stand-by rule fired, and whether one proposes withdrawal."""
    if not actions:
        return ""
    return ("; stand-by rule proposes withdrawal" if "propose_withdrawal" in actions
            else "; stand-by rule fired")


@click.command("check")
@click.argument("pilots", nargs=-1)
@click.option("--json", "as_json", is_flag=True,
              help="Print Recommendation.to_dict() (a list, one pilot per line, unless one "
                   "pilot is named).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Check with the data logged for periods up to this date (computed, not "
                   "stored).")
@click.option("--refresh", is_flag=True,
              help="Recompute and store these pilots' answers (default: all) first.")
@with_appcontext
def check_command(pilots: tuple[str, ...], as_json: bool, as_of: datetime | None,
                  refresh: bool) -> None:
    """Check pilots (default: every pilot past draft) and print the recommendations."""
    keys = list(pilots) or None
    if keys:
        with db.reading(db.engine()) as session:
            unknown = [key for key in keys if key not in pilot_keys_known(session, keys)]
        if unknown:
            fail(f"no pilot '{unknown[0]}'")
    if as_of is not None:
        found = _computed(keys, as_of.date())
    else:
        if refresh:
            _refresh(keys)
        found = _stored(keys)
    missing = [key for key in pilots if key not in found]
    if missing:
        fail(f"pilot '{missing[0]}' is a draft: start it before checking it")
    documents = [found[key] for key in pilots] if pilots else list(found.values())
    if not as_json:
        with db.reading(db.engine()) as session:
            states = standing(session)
        click.echo(format_table(documents, states))
        return
    if len(pilots) == 1:
        click.echo(json.dumps(documents[0], indent=2, allow_nan=False))
        return
    # A list prints one pilot per line: readable, easy to grep, and written by json's C
    # encoder (an indented dump of a large portfolio takes the pure-Python one, ~5x slower).
    lines = ",\n".join(json.dumps(document, allow_nan=False) for document in documents)
    click.echo(f"[\n{lines}\n]" if documents else "[]")


def _stored(keys: list[str] | None) -> dict[str, dict]:
    """Return the stored answers, computing (and storing) only those still missing."""
    with db.reading(db.engine()) as session:
        found = stored.documents(session, keys)
        if stored.missing(session, keys):
            from lab.portfolio.stored import fill  # noqa: PLC0415 (pandas only when needed)

            found = dict(sorted({**found, **fill(session, keys)}.items()))
    return found


def _refresh(keys: list[str] | None) -> None:
    from lab.portfolio.stored import refresh  # noqa: PLC0415 (pandas only when asked)

    with db.writing(db.engine()) as session:
        ids = None if keys is None else list(session.exec(
            select(Pilot.id).where(col(Pilot.key).in_(keys))))
        refresh(session, ids)


def _computed(keys: list[str] | None, as_of) -> dict[str, dict]:
    from lab.analysis.pipeline import recommend_pilots  # noqa: PLC0415 (pandas only when asked)

    with db.reading(db.engine()) as session:
        try:
            found = recommend_pilots(session, keys, as_of=as_of)
        except LookupError as error:
            fail(str(error))
    return {key: recommendation.to_dict() for key, recommendation in found.items()}
