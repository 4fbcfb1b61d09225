"""`lab serve`: the web app on one machine, with waitress, a production WSGI server."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from lab.web.serve import run


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web app with waitress (for a team, gunicorn on wsgi.py works too)."""
    run(current_app._get_current_object(), host, port)
