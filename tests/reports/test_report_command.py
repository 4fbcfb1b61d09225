"""`lab report`: writes the file asked for, refuses bad arguments with a clear message."""

from __future__ import annotations

import pytest

from lab.cli import main
from lab.cli.report import report_command
from tests.factories import RUNNING, populate


@pytest.fixture
def report(runner, session):
    """Return a function that runs `lab report ARGS` on a filled database."""
    populate(session)
    registered = "report" in main.commands
    return lambda *args: runner.invoke(None if registered else report_command,
                                       (["report"] if registered else []) + list(args))


def test_report_command_writes_a_pilot_pdf(report, tmp_path):
    target = tmp_path / "pilot.pdf"
    result = report(RUNNING, "--format", "pdf", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF")
    assert f"report of pilot {RUNNING}" in result.output


def test_report_command_takes_the_format_from_the_extension(report, tmp_path):
    target = tmp_path / "portfolio.html"
    result = report("--portfolio", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_command_writes_to_standard_output(report):
    result = report(RUNNING, "--format", "html", "--output", "-")
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"<!DOCTYPE html>")


@pytest.mark.parametrize("args, message", [
    ([], "name one pilot, or give --portfolio"),
    ([RUNNING, "--portfolio"], "name one pilot, or give --portfolio"),
    (["nope"], "no pilot 'nope'"),
])
def test_report_command_refuses_bad_arguments(report, tmp_path, args, message):
    target = tmp_path / "out.pdf"
    result = report(*args, "--output", str(target))
    assert result.exit_code == 1
    assert message in result.output
    assert not target.exists()


def test_report_command_refuses_an_unknown_format(report, tmp_path):
    result = report(RUNNING, "--format", "docx", "--output", str(tmp_path / "x.docx"))
    assert result.exit_code == 2
    assert "'docx' is not one of 'pdf', 'html'" in result.output


def test_report_command_refuses_a_folder_that_does_not_exist(report, tmp_path):
    result = report(RUNNING, "--output", str(tmp_path / "missing" / "x.pdf"))
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_report_command_needs_an_output(report):
    result = report(RUNNING)
    assert result.exit_code == 2
    assert "--output" in result.output
