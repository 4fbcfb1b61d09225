"""The lab command as lab's own: its help, its version, its accounts, its wrapped table."""

from __future__ import annotations

from click.testing import CliRunner

from lab.cli import main
from lab.cli.table import format_table


def test_help_and_version_are_labs_not_flasks():
    runner = CliRunner()
    shown = runner.invoke(main, ["--help"]).output
    assert "--env-file" not in shown and "--app" not in shown and "check" in shown
    version = runner.invoke(main, ["--version"]).output
    assert version.startswith("lab ") and "Flask" not in version


def test_user_list_shows_every_account(runner, app):
    from lab import accounts
    from tests.web.conftest import write

    write(app, lambda s: accounts.add_user(s, email="boss@bank.example", password="x" * 12,
                                           role="manager", actor="test"))
    shown = runner.invoke(args=["user", "list"]).output
    assert "boss@bank.example" in shown and "manager" in shown and "1 account" in shown


def test_the_check_table_wraps_to_the_terminal_and_shows_the_decision():
    from lab.analysis.result import Recommendation

    answer = Recommendation(pilot="x-care-1h", outcome="scale_up", reasons=["word " * 60],
                            design="holdout", analysis="sequential", evidence="randomized",
                            final=True, information_fraction=1.0, srm_p_value=None,
                            needed_sample=None, projected_date=None)
    table = format_table([answer], {"x-care-1h": "Scaled up, signed off by m@x on 2026-03-01"},
                         width=160)
    assert max(len(line) for line in table.splitlines()) <= 160
    assert "signed off by m@x" in table
