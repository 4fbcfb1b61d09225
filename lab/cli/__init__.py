"""The `lab` command: a Flask CLI group, so every command runs with the app's config."""

from __future__ import annotations

from flask.cli import FlaskGroup

from lab.app import create_app
from lab.cli.check import check_command
from lab.cli.database import init_command
from lab.cli.decide import decide_command
from lab.cli.demo import demo_command
from lab.cli.observations import import_command
from lab.cli.plan import plan_command
from lab.cli.registry import start_command, sync_command
from lab.cli.report import report_command
from lab.cli.serve import serve_command
from lab.cli.users import user_group

main = FlaskGroup(
    name="lab",
    create_app=lambda: create_app(),
    add_default_commands=False,
    help="The social-CRM pilot laboratory. Every command honours LAB_DATABASE_URL.",
)

for command in (init_command, sync_command, start_command, import_command, check_command,
                plan_command, decide_command, demo_command, user_group, serve_command,
                report_command):
    main.add_command(command)
