"""`lab check`: the recommendation for each pilot, as a table or as JSON.

It prints the stored answers, which every write keeps current, read with SQLAlchemy
Core (`lab.pilots.answers`), so `lab check --json` starts without pandas, SciPy, the
analysis, SQLModel or the ORM: the analysis is imported only for `--as-of` (a check of
the past is computed), `--refresh`, or a pilot with no stored answer yet (a database
just upgraded); the models only for the table, which names each pilot's decision.
"""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask.cli import with_appcontext

from lab import db
from lab.cli.common import fail
from lab.pilots import answers


def standing(session) -> dict[str, str]:
    """Say each pilot's status and, once signed off, the decision: who and when."""
    from sqlmodel import col, select  # noqa: PLC0415 (the table only: see the docstring)

    from lab.models import Decision, Pilot, StandbyFiring  # noqa: PLC0415
    from lab.words import day, status_word  # noqa: PLC0415

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
        with db.engine().connect() as connection:
            known = answers.known_keys(connection, keys)
        unknown = [key for key in keys if key not in known]
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
    texts = [found[key] for key in pilots] if pilots else list(found.values())
    if not as_json:
        from lab.cli.table import format_table  # noqa: PLC0415

        with db.reading(db.engine()) as session:
            states = standing(session)
        click.echo(format_table([json.loads(text) for text in texts], states))
        return
    if len(pilots) == 1:
        click.echo(json.dumps(json.loads(texts[0]), indent=2, allow_nan=False))
        return
    # A list prints one pilot per line (readable, easy to grep) as the JSON was stored:
    # decoding a thousand answers to encode them again was most of the command's work.
    lines = ",\n".join(texts)
    click.echo(f"[\n{lines}\n]" if texts else "[]")


def _stored(keys: list[str] | None) -> dict[str, str]:
    """Return the stored answers' JSON, computing (and storing) only those still missing."""
    with db.engine().connect() as connection:
        found = answers.texts(connection, keys)
        if not answers.missing(connection, keys):
            return found
    from lab.portfolio.stored import fill  # noqa: PLC0415 (pandas only when needed)

    with db.reading(db.engine()) as session:
        filled = {key: json.dumps(document, allow_nan=False)
                  for key, document in fill(session, keys).items()}
        return dict(sorted({**answers.texts(session, keys), **filled}.items()))


def _refresh(keys: list[str] | None) -> None:
    from sqlmodel import col, select  # noqa: PLC0415

    from lab.models import Pilot  # noqa: PLC0415
    from lab.portfolio.stored import refresh  # noqa: PLC0415 (pandas only when asked)

    with db.writing(db.engine()) as session:
        ids = None if keys is None else list(session.exec(
            select(Pilot.id).where(col(Pilot.key).in_(keys))))
        refresh(session, ids)


def _computed(keys: list[str] | None, as_of) -> dict[str, str]:
    from lab.analysis.pipeline import recommend_pilots  # noqa: PLC0415 (pandas only when asked)

    with db.reading(db.engine()) as session:
        try:
            found = recommend_pilots(session, keys, as_of=as_of)
        except LookupError as error:
            fail(str(error))
    return {key: json.dumps(recommendation.to_dict(), allow_nan=False)
            for key, recommendation in found.items()}
