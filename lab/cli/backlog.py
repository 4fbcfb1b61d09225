"""`lab backlog`: the ranked backlog of hypotheses; add ideas to it and score them."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from lab import db
from lab.cli.common import actor, fail
from lab.config import BACKLOG_SCORES, parse_weights
from lab.errors import DomainError
from lab.pilots import backlog
from lab.portfolio import backlog as backlog_rows
from lab.vocabulary import Function, Process, values

SCORE = click.IntRange(1, 5)


def _score_options(command):
    """Add --impact, --fit, --effort, --confidence and the expected benefit's options."""
    for name in reversed(BACKLOG_SCORES):
        command = click.option(f"--{name}", type=SCORE, help=f"{name} score, 1 to 5")(command)
    command = click.option("--unit", "expected_unit", help="the expected value's unit, "
                           "such as 'points of churn'")(command)
    command = click.option("--expected-value", type=float,
                           help="the quantified expected benefit")(command)
    return click.option("--function", type=click.Choice(values(Function)),
                        help="the function that would benefit most")(command)


@click.group("backlog", invoke_without_command=True)
@click.option("--process", type=click.Choice(values(Process)))
@click.option("--function", type=click.Choice(values(Function)))
@click.option("--band", type=click.Choice(backlog_rows.BAND_NAMES))
@click.option("--state", type=click.Choice(backlog_rows.STATES))
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON lines.")
@click.pass_context
@with_appcontext
def backlog_group(ctx: click.Context, process, function, band, state, as_json) -> None:
    """List the backlog ranked by priority (or add to it, or score it)."""
    if ctx.invoked_subcommand is not None:
        return
    filters = {"process": process, "function": function, "band": band, "state": state}
    weights = parse_weights(current_app.config["BACKLOG_WEIGHTS"])
    with db.reading(db.engine()) as session:
        listed = backlog_rows.rows(session, weights, {k: v for k, v in filters.items() if v})
        frame = backlog_rows.backlog_frame(listed)
    if as_json:
        for record in json.loads(frame.to_json(orient="records", date_format="iso")):
            click.echo(json.dumps(record))
        return
    if not listed:
        click.echo("no hypothesis matches")
        return
    for rank, row in enumerate(listed, 1):
        scores = "·".join(str(getattr(row.entry, name)) if row.entry and
                          getattr(row.entry, name) is not None else "–"
                          for name in BACKLOG_SCORES)
        shown = f"{row.priority:5.1f}" if row.priority is not None else "    –"
        pilots = ", ".join(key for key, _ in row.pilots) or "no pilot yet"
        click.echo(f"{rank:>3}. {shown} {row.band:<8} {row.hypothesis.key}  [{scores}]  "
                   f"{row.hypothesis.process}, {row.state}; {pilots}")
    decided = [record for record in backlog_rows.calibration(listed) if record.decided]
    for record in decided:
        click.echo(f"band {record.band}: {record.scale_up} of {record.decided} decisions "
                   "scaled up")


@backlog_group.command("add")
@click.argument("key")
@click.option("--statement", required=True, help="The hypothesis, in one sentence.")
@click.option("--process", required=True, type=click.Choice(values(Process)))
@click.option("--benefit", "expected_benefit", required=True,
              help="What the benefit could look like, in words.")
@click.option("--sponsor", "sponsors", multiple=True, required=True,
              type=click.Choice(values(Function)), help="A sponsoring function (repeat).")
@click.option("--owner", required=True, help="The owner's email.")
@_score_options
@with_appcontext
def add_command(key: str, statement: str, process: str, expected_benefit: str,
                sponsors: tuple[str, ...], owner: str, **scores) -> None:
    """Put a new hypothesis KEY on the backlog."""
    entry = {"hypothesis": {"key": key, "statement": statement, "process": process,
                            "expected_benefit": expected_benefit, "sponsors": list(sponsors),
                            "owner": owner},
             **{name: value for name, value in scores.items() if value is not None}}
    try:
        with db.writing(db.engine()) as session:
            backlog.add(session, entry=entry, actor=actor())
    except DomainError as error:
        fail(str(error))
    click.echo(f"hypothesis {key} is on the backlog")


@backlog_group.command("score")
@click.argument("key")
@_score_options
@with_appcontext
def score_command(key: str, **scores) -> None:
    """Score or re-score hypothesis KEY (scores not given are kept)."""
    given = {name: value for name, value in scores.items() if value is not None}
    if not given:
        fail("give at least one of --impact, --fit, --effort, --confidence, --function, "
             "--expected-value, --unit")
    try:
        with db.writing(db.engine()) as session:
            row = backlog.score(session, key=key, scores=given, actor=actor())
            weights = parse_weights(current_app.config["BACKLOG_WEIGHTS"])
            value = backlog.priority(row, weights)
    except DomainError as error:
        fail(str(error))
    shown = f"priority {value}" if value is not None else "not every weighted score is set"
    click.echo(f"hypothesis {key} scored: {shown}")
