"""The command line before `lab init`, on an old schema, and while another write holds the lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from lab import db, migrations
from lab.cli import main
from tests.factories import make_spec, write_spec

COMMANDS = [
    ["sync", "experiments"], ["start", "x-care-1h"], ["import", "week.csv"], ["check"],
    ["decide", "x-care-1h", "withdraw", "--by", "mia@bank.example"],
    ["user", "add", "ana@bank.example"], ["user", "role", "ana@bank.example", "admin"],
    ["serve"], ["report", "x-care-1h", "-o", "out.html"],
]


@pytest.fixture
def environment(tmp_path, monkeypatch):
    """Point LAB_* at a database file that `lab init` has not made; return its URL."""
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    monkeypatch.setenv("LAB_DATABASE_URL", url)
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("LAB_SECRET_KEY", "k" * 32)
    monkeypatch.chdir(tmp_path)
    yield url
    db.engine_for(url).dispose()


def lab(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:2]))
def test_every_command_before_lab_init_says_to_run_it(environment, command, monkeypatch):
    monkeypatch.setattr("lab.cli.serve.run", lambda *args: pytest.fail("served anyway"))
    result = lab(*command)
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"Error: the database at {environment} has no lab schema yet: run `lab init` first"]


def test_an_old_schema_is_named_with_the_way_out(environment):
    migrations.upgrade(environment, "0002")
    result = lab("check")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: the database at {environment} is at schema 0002, and this lab needs "
        f"{migrations.HEAD}: run `lab init` to upgrade it")
    assert lab("init").exit_code == 0
    assert lab("check").exit_code == 0


def test_help_and_init_need_no_schema(environment):
    assert lab("check", "--help").exit_code == 0
    assert lab("plan", "--help").exit_code == 0
    result = lab("init")
    assert result.exit_code == 0 and "created the database" in result.output


def test_a_real_lab_command_prints_no_traceback(environment):
    command = os.path.join(os.path.dirname(sys.executable), "lab")
    done = subprocess.run([command, "check"], capture_output=True, text=True, env=os.environ)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: the database at {environment} has no lab schema yet: run `lab init` first")


def test_a_command_kept_waiting_for_the_lock_says_so_in_one_line(environment, tmp_path,
                                                                 monkeypatch):
    assert lab("init").exit_code == 0
    monkeypatch.setenv("LAB_LOCK_WAIT_SECONDS", "1")
    path = write_spec(tmp_path / "plans", make_spec())
    engine = db.engine_for(environment)
    held, release = threading.Event(), threading.Event()

    def hold():
        with db.writing(engine) as session:
            session.connection()  # BEGIN IMMEDIATE: the write lock is taken
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        result = lab("sync", str(path))
    finally:
        release.set()
        holder.join()
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: the database is busy with another write (waited "
                                     "1 s); nothing was changed, try again")
    assert lab("sync", str(path)).exit_code == 0  # once free, the same command goes through
