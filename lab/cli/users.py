"""`lab user`: add accounts, change their roles, disable them."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from lab import accounts, config, db
from lab.cli.common import actor, fail


def _password() -> str:
    """Read the password from a prompt, or from LAB_PASSWORD without a terminal."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = config.load().password
    if password is None:
        raise click.UsageError("no terminal to ask for the password: set LAB_PASSWORD")
    return password.get_secret_value()


@click.group("user")
def user_group() -> None:
    """Manage user accounts and their roles."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(accounts.ROLES), default="viewer", show_default=True)
@click.option("--name", default="", help="The person's name, as the pages show it.")
@with_appcontext
def add(email: str, role: str, name: str) -> None:
    """Add an account (password from a prompt, or LAB_PASSWORD)."""
    password = _password()
    try:
        with db.writing(db.engine()) as session:
            user = accounts.add_user(session, email=email, password=password, role=role,
                                     name=name, actor=actor())
            click.echo(f"Added {user.email} as {user.role}.")
    except accounts.AccountError as error:
        fail(str(error))


@user_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(accounts.ROLES))
@with_appcontext
def role(email: str, role: str) -> None:
    """Give an account another role; its sessions end."""
    try:
        with db.writing(db.engine()) as session:
            user = accounts.set_role(session, email=email, role=role, actor=actor())
            click.echo(f"{user.email} is now {user.role}; their sessions have ended.")
    except accounts.AccountError as error:
        fail(str(error))


@user_group.command("disable")
@click.argument("email")
@with_appcontext
def disable(email: str) -> None:
    """Disable an account: it can no longer sign in, and its sessions and tokens stop."""
    try:
        with db.writing(db.engine()) as session:
            user = accounts.disable(session, email=email, actor=actor())
            click.echo(f"{user.email} is disabled.")
    except accounts.AccountError as error:
        fail(str(error))


@user_group.command("list")
@with_appcontext
def list_users() -> None:
    """List the accounts: email, name, role and whether each is active."""
    from sqlmodel import col, select

    from lab.models import User

    with db.reading(db.engine()) as session:
        users = session.exec(select(User).order_by(col(User.email))).all()
        lines = [(user.email, user.name or "–", user.role,
                  "active" if user.active else "disabled") for user in users]
    if not lines:
        click.echo("No accounts yet: add one with `lab user add EMAIL --role ROLE`.")
        return
    widths = [max(len(line[i]) for line in [("email", "name", "role", "state"), *lines])
              for i in range(4)]
    for line in [("email", "name", "role", "state"), *lines]:
        click.echo("  ".join(cell.ljust(width) for cell, width in
                             zip(line, widths, strict=True)).rstrip())
    click.echo(f"{len(lines)} account{'s' if len(lines) != 1 else ''}")
