"""The foundation's `lab` commands: init, sync, start, import."""

from __future__ import annotations

import json

from sqlmodel import select

from lab import db
from lab.accounts import add_user
from lab.analysis.pipeline import recommend_pilots
from lab.cli.check import check_command
from lab.cli.decide import decide_command
from lab.cli.observations import import_command
from lab.cli.registry import start_command, sync_command
from lab.cli.table import format_table
from lab.models import Decision, Observation, Pilot
from lab.pilots import audit
from lab.pilots.audit import jsonable
from lab.pilots.find import get_pilot
from lab.pilots.observations import import_csv
from tests.factories import (
    MANAGER,
    OWNER,
    make_spec,
    observation_rows,
    register_pilot,
    start_pilot,
    write_csv,
    write_spec,
)

PASSWORD = "a-long-password"


def test_sync_reports_created_and_new_catalogue_entries(runner, tmp_path):
    result = runner.invoke(sync_command, [str(write_spec(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "created: x-care-1h" in result.stdout
    assert "new channel 'x' added to the catalogue (check the spelling)" in result.stdout
    again = runner.invoke(sync_command, [str(tmp_path)])
    assert "unchanged: x-care-1h" in again.stdout


def test_sync_defaults_to_the_experiments_folder(runner, tmp_path, monkeypatch):
    write_spec(tmp_path / "experiments")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(sync_command, [])
    assert "created: x-care-1h" in result.stdout


def test_sync_refusal_exits_1_and_writes_nothing(runner, session, tmp_path):
    path = write_spec(tmp_path, make_spec(pilot={"design": "ab"}))
    result = runner.invoke(sync_command, [str(path)])
    assert result.exit_code == 1
    assert "nothing was synced" in result.stderr
    assert f"{path}: pilot.design: Input should be" in result.stderr
    assert session.exec(select(Pilot)).all() == []


def test_start_locks_and_warns_about_overlaps(runner, session, tmp_path):
    start_pilot(session)
    runner.invoke(sync_command, [str(write_spec(tmp_path, make_spec(key="x-tone")))])
    result = runner.invoke(start_command, ["x-tone"])
    assert result.exit_code == 0, result.output
    assert "pilot x-tone is running: its plan is locked" in result.stdout
    assert "warning: pilots x-care-1h and x-tone overlap on channel 'x'" in result.stderr
    again = runner.invoke(start_command, ["x-tone"])
    assert again.exit_code == 1 and "pilot 'x-tone' is already running" in again.stderr
    assert "no pilot 'nope'" in runner.invoke(start_command, ["nope"]).stderr


def test_import_reports_inserted_then_unchanged(runner, session, tmp_path):
    start_pilot(session)
    path = write_csv(tmp_path / "week.csv", observation_rows())
    result = runner.invoke(import_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: 24 rows: 24 inserted, 0 unchanged, 0 corrected"
    again = runner.invoke(import_command, [str(path)])
    assert again.exit_code == 0
    assert "0 inserted, 24 unchanged" in again.stdout


def test_import_refusal_exits_1_naming_line_and_column(runner, session, tmp_path):
    start_pilot(session)
    rows = observation_rows()
    rows[1]["trials"] = "many"
    path = write_csv(tmp_path / "week.csv", rows)
    result = runner.invoke(import_command, [str(path)])
    assert result.exit_code == 1
    assert f"{path}: line 3, column trials: must be a whole number, not 'many'" \
        in result.stderr
    assert session.exec(select(Observation)).all() == []


def test_import_correct_replaces_contradicting_rows(runner, session, tmp_path):
    start_pilot(session)
    rows = observation_rows()
    runner.invoke(import_command, [str(write_csv(tmp_path / "a.csv", rows))])
    rows[0]["successes"] = 44
    path = write_csv(tmp_path / "b.csv", rows)
    assert runner.invoke(import_command, [str(path)]).exit_code == 1
    result = runner.invoke(import_command, ["--correct", str(path)])
    assert "0 inserted, 23 unchanged, 1 corrected" in result.stdout


def _logged(session, engine, tmp_path, **overrides):
    pilot = start_pilot(session, **overrides)
    rows = observation_rows(pilot.key, periods=6)
    runner_rows = write_csv(tmp_path / f"{pilot.key}.csv", rows)
    import_csv(engine, source=runner_rows, actor="t")
    return pilot


def test_check_json_prints_exactly_the_recommendation(runner, session, engine, tmp_path):

    _logged(session, engine, tmp_path)
    result = runner.invoke(check_command, ["x-care-1h", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    with db.reading(engine) as reader:
        expected = recommend_pilots(reader, ["x-care-1h"])["x-care-1h"].to_dict()
    assert printed == json.loads(json.dumps(jsonable(expected)))
    assert printed["pilot"] == "x-care-1h"


def test_check_json_without_pilots_prints_a_list(runner, session, engine, tmp_path):

    _logged(session, engine, tmp_path)
    _logged(session, engine, tmp_path, key="other", pilot={"channel": "facebook"})
    register_pilot(session, key="draft-one", pilot={"channel": "tiktok"})
    output = runner.invoke(check_command, ["--json"]).stdout
    printed = json.loads(output)
    assert [item["pilot"] for item in printed] == ["other", "x-care-1h"]
    # One pilot per line, so a large portfolio can be read line by line and grepped.
    lines = output.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 4
    assert [json.loads(line.rstrip(","))["pilot"] for line in lines[1:-1]] == [
        item["pilot"] for item in printed]


def test_check_json_of_no_pilots_is_an_empty_list(runner):

    result = runner.invoke(check_command, ["--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_check_prints_the_table(runner, session, engine, tmp_path):

    _logged(session, engine, tmp_path)
    result = runner.invoke(check_command, [])
    with db.reading(engine) as reader:
        from lab.cli.check import standing

        expected = format_table(list(recommend_pilots(reader).values()), standing(reader))
    assert result.exit_code == 0 and result.stdout.strip() == expected.strip()


def test_check_refuses_unknown_and_draft_pilots(runner, session):

    register_pilot(session)
    assert "no pilot 'nope'" in runner.invoke(check_command, ["nope"]).stderr
    result = runner.invoke(check_command, ["x-care-1h", "--json"])
    assert result.exit_code == 1 and "is a draft" in result.stderr


def test_decide_needs_an_active_manager(runner, session, engine, tmp_path, monkeypatch):

    _logged(session, engine, tmp_path)
    add_user(session, email=MANAGER, password=PASSWORD, role="manager", actor="t")
    add_user(session, email="viv@bank.example", password=PASSWORD, role="viewer", actor="t")
    session.commit()
    monkeypatch.setenv("LAB_PASSWORD", PASSWORD)
    refused = runner.invoke(decide_command, ["x-care-1h", "withdraw", "--by",
                                             "viv@bank.example", "--rationale", "x"])
    assert refused.exit_code == 1 and "is not an active manager" in refused.stderr
    done = runner.invoke(decide_command, ["x-care-1h", "revise", "--by", MANAGER,
                                          "--rationale", "Replies too slow at weekends"])
    assert done.exit_code == 0, done.output
    assert "pilot x-care-1h: revised, signed off by mia@bank.example" in done.stdout
    assert "its next iteration x-care-1h-i2 was created as a draft" in done.stdout
    again = runner.invoke(decide_command, ["x-care-1h", "withdraw", "--by", MANAGER,
                                           "--rationale", "x"])
    assert again.exit_code == 1 and "already signed off" in again.stderr
    with db.reading(engine) as reader:
        [signed] = audit.events(reader, object_key="x-care-1h", action="sign_off")
    assert (signed.actor, signed.after["via"]) == (MANAGER, "command line")


def test_decide_refuses_a_wrong_or_missing_password_recording_nothing(
        runner, session, engine, tmp_path, monkeypatch):

    _logged(session, engine, tmp_path)
    add_user(session, email=MANAGER, password=PASSWORD, role="manager", actor="t")
    session.commit()
    monkeypatch.setenv("LAB_PASSWORD", PASSWORD + "x")
    wrong = runner.invoke(decide_command, ["x-care-1h", "withdraw", "--by", MANAGER,
                                           "--rationale", "x"])
    assert wrong.exit_code == 1
    assert "wrong password for mia@bank.example" in wrong.stderr
    monkeypatch.delenv("LAB_PASSWORD")
    missing = runner.invoke(decide_command, ["x-care-1h", "withdraw", "--by", MANAGER,
                                             "--rationale", "x"])
    assert missing.exit_code == 2 and "set LAB_PASSWORD" in missing.output
    with db.reading(engine) as reader:
        assert reader.exec(select(Decision)).all() == []
        assert audit.events(reader, action="sign_off") == []
        assert get_pilot(reader, "x-care-1h").status == "running"


def test_decide_refuses_the_owner(runner, session, engine, tmp_path, monkeypatch):

    _logged(session, engine, tmp_path)
    add_user(session, email=OWNER, password=PASSWORD, role="manager", actor="t")
    session.commit()
    monkeypatch.setenv("LAB_PASSWORD", PASSWORD)
    result = runner.invoke(decide_command, ["x-care-1h", "withdraw", "--by", OWNER,
                                            "--rationale", "x"])
    assert result.exit_code == 1 and "cannot sign off" in result.stderr
