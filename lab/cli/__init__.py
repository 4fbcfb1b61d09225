"""The `lab` command: a Flask CLI group, so every command runs with the app's config.

Commands are imported only when they run, and the app the CLI makes has no web
layer (`lab serve` adds it), so `lab check` does not pay for matplotlib, the forms
and the blueprints it never uses.
"""

from __future__ import annotations

from importlib import import_module, metadata

import click
from flask.cli import FlaskGroup

from lab import migrations
from lab.app import create_app
from lab.config import ConfigError
from lab.db import DatabaseBusy

# command name -> "module:attribute"
COMMANDS = {
    "init": "lab.cli.database:init_command",
    "sync": "lab.cli.registry:sync_command",
    "start": "lab.cli.registry:start_command",
    "pause": "lab.cli.standby:pause_command",
    "resume": "lab.cli.standby:resume_command",
    "import": "lab.cli.observations:import_command",
    "check": "lab.cli.check:check_command",
    "refresh": "lab.cli.refresh:refresh_command",
    "plan": "lab.cli.plan:plan_command",
    "decide": "lab.cli.decide:decide_command",
    "approve": "lab.cli.approve:approve_command",
    "backlog": "lab.cli.backlog:backlog_group",
    "learnings": "lab.cli.learnings:learnings_command",
    "initiative": "lab.cli.initiative:initiative_group",
    "demo": "lab.cli.demo:demo_command",
    "user": "lab.cli.users:user_group",
    "serve": "lab.cli.serve:serve_command",
    "report": "lab.cli.report:report_command",
    "export": "lab.cli.export:export_command",
    "notify": "lab.cli.notify:notify_group",
    "digest": "lab.cli.notify:digest_command",
}
# The commands that work on the lab's database, which must be at the current schema.
NEEDS_SCHEMA = {"sync", "start", "pause", "resume", "import", "check", "refresh", "decide",
                "user", "serve", "report", "export", "notify", "digest", "approve", "backlog",
                "learnings", "initiative"}


class LabGroup(FlaskGroup):
    """A FlaskGroup that imports a command's module when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(import_module(module), attribute)

    def invoke(self, ctx: click.Context):
        """Run the command; a write kept waiting for the lock is one line, not a traceback."""
        try:
            return super().invoke(ctx)
        except DatabaseBusy as error:
            raise click.ClickException(str(error)) from None

    def make_context(self, info_name, args, parent=None, **extra):
        # Flask's group adds --env-file, --app and --debug, which mean nothing for lab.
        self.params = [param for param in self.params
                       if param.name not in ("env_file", "app", "debug", "version")]
        self.params.append(click.Option(["--version"], is_flag=True, expose_value=False,
                                        is_eager=True, callback=_version,
                                        help="Show lab's version and exit."))
        return super().make_context(info_name, args, parent, **extra)


def _cli_app():
    """Make the command line's app, refusing in one line a bad setting or schema."""
    try:
        app = create_app(with_web=False)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    # Made when a command first needs the app, so `lab check --help` never gets here.
    command = click.get_current_context().find_root().invoked_subcommand
    problem = migrations.schema_problem(app.config["DATABASE_URL"]) \
        if command in NEEDS_SCHEMA else None
    if problem:
        raise click.ClickException(problem)
    return app



def _version(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"lab {metadata.version('lab')}")
    ctx.exit()


main = LabGroup(
    name="lab",
    create_app=_cli_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="The social-CRM pilot laboratory. Every command honours LAB_DATABASE_URL.",
)
