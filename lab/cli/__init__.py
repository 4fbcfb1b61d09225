"""The `lab` command: a Flask CLI group, so every command runs with the app's config."""

from __future__ import annotations

from flask.cli import FlaskGroup

from lab.app import create_app

main = FlaskGroup(
    name="lab",
    create_app=lambda: create_app(),
    add_default_commands=False,
    help="The social-CRM pilot laboratory. Every command honours LAB_DATABASE_URL.",
)
