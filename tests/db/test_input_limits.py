"""Input that would exhaust memory or the stack, or that no database stores, is refused.

CSV files: a NUL anywhere, a line past the length cap, a header past the column cap.
Pre-registrations: TOML nested too deeply. Each is one message naming where, and
nothing is written.
"""

from __future__ import annotations

import io
import time

import pytest
from sqlmodel import select

from lab.cli.observations import import_command
from lab.cli.registry import sync_command
from lab.models import Observation
from lab.pilots.observations import ObservationError, import_csv
from lab.pilots.observations.importer import MAX_COLUMNS, MAX_LINE_CHARS
from tests.factories import CSV_COLUMNS, observation_rows, start_pilot, write_csv


def csv_text(rows: list[dict]) -> str:
    lines = [",".join(CSV_COLUMNS)]
    lines += [",".join(str(row.get(column, "")) for column in CSV_COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def refused(engine, text: str) -> ObservationError:
    stream = io.StringIO(text)
    stream.name = "upload.csv"
    with pytest.raises(ObservationError) as error:
        import_csv(engine, source=stream, actor="test")
    return error.value


def test_a_nul_in_a_pilot_key_is_refused_by_line(engine, session):
    start_pilot(session)
    rows = observation_rows(periods=2)
    rows[2]["pilot"] = "x-care\x001h"
    error = refused(engine, csv_text(rows))
    assert [problem.describe() for problem in error.problems] == [
        "line 4: contains a NUL character, which no database can store"]
    session.rollback()
    assert session.exec(select(Observation)).all() == []


def test_a_line_past_the_cap_is_refused_without_reading_it_whole(engine, session):
    start_pilot(session)
    rows = observation_rows(periods=1)
    rows[0]["pilot"] = "x" * (50 * MAX_LINE_CHARS)
    error = refused(engine, csv_text(rows))
    assert error.problems[0].describe() == (
        f"line 2: is longer than {MAX_LINE_CHARS:,} characters; no observation row needs "
        "that many")


def test_a_header_of_millions_of_columns_is_refused_at_once(engine):
    header = ",".join(f"c{number}" for number in range(1_000_000))  # 7 MB on one line
    began = time.monotonic()
    error = refused(engine, header + "\n")
    assert time.monotonic() - began < 2
    assert "line 1: is longer than" in error.problems[0].describe()


def test_a_header_past_the_column_cap_is_refused(engine):
    header = CSV_COLUMNS + [f"extra{number}" for number in range(MAX_COLUMNS)]
    error = refused(engine, ",".join(header) + "\n")
    assert error.problems[0].describe() == (
        f"line 1: has {len(header)} columns; an observations file has at most {MAX_COLUMNS}")


def test_lab_import_says_so_in_one_line(runner, session, tmp_path):
    start_pilot(session)
    rows = observation_rows(periods=1)
    rows[0]["metric"] = "churn\x0090d"
    path = write_csv(tmp_path / "nul.csv", rows)
    result = runner.invoke(import_command, [str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}: line 2: contains a NUL character" in result.stderr


@pytest.mark.parametrize("depth", [100_000, 900])
def test_lab_sync_refuses_deeply_nested_toml_in_one_line(runner, tmp_path, depth):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    result = runner.invoke(sync_command, [str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit)
    assert f"{path}: " in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
