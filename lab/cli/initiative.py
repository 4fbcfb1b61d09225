"""`lab initiative`: initiatives running elsewhere in the company."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lab import db
from lab.cli.common import actor, fail, warn
from lab.errors import DomainError
from lab.pilots import initiatives
from lab.vocabulary import Function, InitiativeStatus, Process, values


@click.group("initiative")
def initiative_group() -> None:
    """Register initiatives outside the lab, list them, adopt one as a hypothesis."""


@initiative_group.command("add")
@click.argument("key")
@click.option("--name", required=True)
@click.option("--function", required=True, type=click.Choice(values(Function)),
              help="The owning function.")
@click.option("--channel")
@click.option("--segment")
@click.option("--process", required=True, type=click.Choice(values(Process)))
@click.option("--start", "start_date", required=True, help="YYYY-MM-DD")
@click.option("--end", "end_date", help="YYYY-MM-DD (leave out while open-ended)")
@click.option("--status", type=click.Choice(values(InitiativeStatus)), default="running",
              show_default=True)
@click.option("--measures", default="", help="What they measure.")
@click.option("--contact", required=True, help="Who to ask (email).")
@with_appcontext
def add_command(key: str, **fields: str | None) -> None:
    """Register initiative KEY (or update it)."""
    spec = {"key": key, **{name: value for name, value in fields.items() if value}}
    try:
        with db.writing(db.engine()) as session:
            initiatives.register(session, spec=spec, actor=actor())
            found = [c.message for c in initiatives.clashes(session) if c.initiative == key]
    except DomainError as error:
        fail(str(error))
    click.echo(f"initiative {key} registered")
    for message in found:
        warn(message)


@initiative_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the initiatives and where they overlap pilots."""
    with db.reading(db.engine()) as session:
        rows = initiatives.listed(session)
        found = initiatives.clashes(session)
        if not rows:
            click.echo("no initiative is registered")
        for row in rows:
            scope = " ".join(part for part in (row.channel, row.segment) if part)
            adopted = f", adopted as {row.adopted_as}" if row.adopted_as else ""
            click.echo(f"{row.key}\t{row.status}\t{row.process}\t{scope}\t{row.function}"
                       f"\t{row.contact}{adopted}")
        messages = [clash.message for clash in found]
    for message in messages:
        warn(message)


@initiative_group.command("adopt")
@click.argument("key")
@with_appcontext
def adopt_command(key: str) -> None:
    """Adopt initiative KEY as a hypothesis on the backlog."""
    try:
        with db.writing(db.engine()) as session:
            hypothesis = initiatives.adopt(session, key=key, actor=actor())
    except DomainError as error:
        fail(str(error))
    click.echo(f"initiative {key} is on the backlog as hypothesis {hypothesis}; "
               "write its pilot's plan with [hypothesis] key = "
               f'"{hypothesis}" and `lab sync`')
