"""`lab demo`: the example pilots with generated data, demo users, then the web app."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

import lab.portfolio.stored  # noqa: F401 (installs the refresher: each write refreshes its pilots)
from lab import db, demo
from lab.analysis.pipeline import recommend_pilots
from lab.app import create_app
from lab.cli.common import fail, shown_url, warn
from lab.cli.table import format_table
from lab.demo import data as demo_data
from lab.web.serve import run
from lab.words import status_word


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Build the demo database and stop.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to serve on.")
@click.option("--experiments", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=demo.EXPERIMENTS, show_default="the examples in experiments/",
              help="Folder of pre-registrations to load.")
@click.option("--database", "url", metavar="URL",
              help="Build the demo here instead of demo.sqlite in the instance folder "
                   "(only an empty database, or one the demo built).")
@with_appcontext
def demo_command(no_serve: bool, host: str, port: int, experiments: Path,
                 url: str | None) -> None:
    """Rebuild the demo database, show the recommendations, then serve the web app.

    The demo never touches the lab's own database (LAB_DATABASE_URL): it builds its own.
    """
    url = url or demo.default_url(current_app.instance_path)
    try:
        summary = demo.build(url, experiments)
    except demo.DemoError as error:
        fail(str(error))
    click.echo(f"demo database: {shown_url(url)}")
    for key, design, status in summary.pilots:
        click.echo(f"  {key:<22} {design:<13} {status_word(status)}")
    click.echo(f"{summary.observations} observations logged up to {demo_data.DATA_UNTIL}")
    for message in summary.warnings:
        warn(message)
    click.echo("demo users (email / password / role):")
    for email, password, role in summary.users:
        click.echo(f"  {email} / {password} / {role}")
    with db.reading(db.engine_for(url)) as session:
        recommendations = recommend_pilots(session, as_of=demo_data.DATA_UNTIL)
    click.echo(format_table(list(recommendations.values())))
    if not no_serve:
        run(create_app({"DATABASE_URL": url}, with_web=False), host, port)
