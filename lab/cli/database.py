"""`lab init`: create the database or bring its schema up to date."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from lab import migrations
from lab.cli.common import fail, shown_url


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database, or upgrade it to the newest schema."""
    url = current_app.config["DATABASE_URL"]
    try:
        before = migrations.current_revision(url)
        migrations.upgrade(url)
        after = migrations.current_revision(url)
    except SQLAlchemyError as error:
        fail(f"cannot set up the database at {shown_url(url)}: {error.orig or error}")
    if before is None:
        click.echo(f"created the database at {shown_url(url)} (schema {after})")
    elif before != after:
        click.echo(f"upgraded the database at {shown_url(url)} from schema {before} to {after}")
    else:
        click.echo(f"the database at {shown_url(url)} is up to date (schema {after})")
