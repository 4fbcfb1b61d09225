"""`lab learnings`: search the learning cards from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from lab import db
from lab.cli.common import fail
from lab.portfolio import learnings as library
from lab.vocabulary import TERMINAL, Process, values
from lab.words import status_word


@click.command("learnings")
@click.argument("words", nargs=-1)
@click.option("--process", type=click.Choice(values(Process)))
@click.option("--outcome", type=click.Choice(list(TERMINAL)))
@click.option("--channel")
@click.option("--segment")
@click.option("--tag")
@click.option("--published", is_flag=True, help="Only the cards published for the company.")
@click.option("--json", "as_json", is_flag=True, help="Print the cards as JSON lines.")
@with_appcontext
def learnings_command(words: tuple[str, ...], published: bool, as_json: bool,
                      **filters: str | None) -> None:
    """List the learning cards containing every one of WORDS (full-text), newest first."""
    query = " ".join(words)
    chosen = {name: value for name, value in filters.items() if value}
    problems = library.filter_problems(query, chosen)
    if problems:
        fail("; ".join(f"{where}: {what}" for where, what in problems))
    with db.reading(db.engine()) as session:
        listed = library.rows(session, query=query, filters=chosen, published_only=published)
        frame = library.learnings_frame(listed)
    if as_json:
        for record in json.loads(frame.to_json(orient="records", date_format="iso")):
            click.echo(json.dumps(record))
        return
    if not listed:
        click.echo("no learning card matches")
        return
    for row in listed:
        shown = "published" if row.card.published_at else "not published"
        click.echo(f"{row.pilot.key} — {status_word(row.decision.outcome)}, "
                   f"{row.hypothesis.process}, {shown}")
        for label, text in (("believed", row.card.believed), ("observed", row.card.observed),
                            ("learned", row.card.learned), ("next", row.card.next_step)):
            click.echo(f"  {label}: {text}")
