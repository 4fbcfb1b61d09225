"""What the `lab` commands share: who is acting, how refusals are shown."""

from __future__ import annotations

import getpass

import click
from flask import current_app
from sqlalchemy.engine import make_url


def actor() -> str:
    """Return who the audit log names for this command (LAB_ACTOR, else the OS user)."""
    configured = current_app.config.get("ACTOR")
    if configured:
        return str(configured)
    try:
        return f"{getpass.getuser()} (cli)"
    except (KeyError, OSError):
        return "cli"


def fail(message: str) -> None:
    """Stop the command with exit status 1, printing the message to stderr."""
    raise click.ClickException(message)


def warn(message: str) -> None:
    """Print a warning to stderr."""
    click.secho(f"warning: {message}", fg="yellow", err=True)


def shown_url(url: str) -> str:
    """Return the database URL without its password, fit to print."""
    return make_url(url).render_as_string(hide_password=True)
