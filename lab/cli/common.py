"""What the `lab` commands share: who is acting, how refusals are shown."""

from __future__ import annotations

import getpass
import sys

import click
from flask import current_app
from sqlalchemy.engine import make_url

from lab import config, db


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


def confirm_password(email: str) -> str:
    """Prove on the command line that the person acting is this account; return its email.

    The password comes from a prompt, or from LAB_PASSWORD without a terminal (a script).
    It is checked as a sign-in is, throttled and audited, so a script cannot guess it.
    """
    if sys.stdin.isatty():
        password = click.prompt(f"Password for {email}", hide_input=True)
    else:
        secret = config.load().password
        if secret is None:
            raise click.UsageError(f"no terminal to ask the password of {email}: "
                                   "set LAB_PASSWORD")
        password = secret.get_secret_value()
    from lab import accounts  # noqa: PLC0415 (the models: not for every command's start)

    settings = current_app.config
    throttle = accounts.Throttle(account=settings["LOGIN_ATTEMPTS"],
                                 address=settings["LOGIN_ADDRESS_ATTEMPTS"],
                                 window_seconds=settings["LOGIN_PAUSE_SECONDS"],
                                 secret=str(current_app.secret_key))
    # Its own transaction: a failed attempt is counted even though the command then stops.
    with db.writing(db.engine()) as session:
        result = accounts.authenticate(session, email=email, password=password,
                                       address="cli", throttle=throttle)
        proven = result.user.email if result.user is not None else None
    if result.throttled:
        fail(f"too many failed sign-ins for {email}: try again in {result.retry_after} s")
    if proven is None:
        fail(f"wrong password for {email}, or no such active account")
    return proven
