"""lab export: the documented tables, as Parquet that reads back typed and as CSV."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from lab import db, demo
from lab.cli.export import export_command
from lab.pilots import evidence
from lab.portfolio.exports import TABLES, dtype_name, export
from tests.factories import ACTOR, log_rows, observation_rows, start_pilot

DOCS = Path(__file__).resolve().parents[2] / "docs" / "EXPORTS.md"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    demo.build(url)
    engine = db.engine_for(url)
    yield engine
    engine.dispose()


def test_the_demo_exported_to_parquet_reads_back_in_the_documented_dtypes(demo_engine,
                                                                           tmp_path):
    with db.reading(demo_engine) as session:
        written = export(session, tmp_path, format="parquet")
    assert [item.table for item in written] == list(TABLES)
    for item in written:
        frame = pd.read_parquet(item.path)
        schema = TABLES[item.table].schema
        assert list(frame.columns) == list(schema), item.table
        for name, dtype in schema.items():
            expected = "datetime64[ns, UTC]" if dtype == "utc" else dtype
            if item.rows == 0 and isinstance(dtype, pd.CategoricalDtype):
                # Parquet keeps a dictionary only with data: an empty column is a
                # category with no categories (docs/EXPORTS.md says so).
                assert isinstance(frame[name].dtype, pd.CategoricalDtype)
            elif isinstance(dtype, pd.CategoricalDtype):
                # The same categories, in order: whether pandas keeps their strings as
                # Python or Arrow objects is its string_storage option, set process-wide
                # (lab.analysis.pipeline), so dtype equality would depend on test order.
                found = frame[name].dtype
                assert isinstance(found, pd.CategoricalDtype), (item.table, name, found)
                assert (list(found.categories), found.ordered) == \
                    (list(dtype.categories), dtype.ordered), (item.table, name)
            else:
                assert frame[name].dtype == pd.api.types.pandas_dtype(expected), \
                    (item.table, name, frame[name].dtype)
        assert len(frame) == item.rows
    counts = {item.table: item.rows for item in written}
    assert min(counts[name] for name in ("pilots", "observations", "recommendations",
                                         "looks", "effects", "spend", "notes")) > 0


def test_csv_files_hold_the_same_rows_and_a_manifest_says_what_is_in_them(demo_engine,
                                                                           tmp_path):
    with db.reading(demo_engine) as session:
        written = export(session, tmp_path, format="csv")
    observations = read_csv(tmp_path / "observations.csv")
    assert len(observations) == next(i.rows for i in written if i.table == "observations")
    assert observations[0]["period"][4] == "-" and len(observations[0]["period"]) == 10
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["since"] is None and manifest["format"] == "csv"
    assert manifest["tables"]["decisions"]["contents"] == "whole"
    assert manifest["tables"]["observations"]["columns"]["period"] == "date"
    assert not list(tmp_path.glob("*.partial"))


def test_since_keeps_what_was_written_since_and_writes_computed_states_whole(session, engine,
                                                                            tmp_path):
    pilot = start_pilot(session)
    log_rows(engine, observation_rows())
    evidence.add_spend(session, pilot_key=pilot.key, spent_on=date(2026, 1, 10), amount=100,
                       description="old", actor=ACTOR)
    session.commit()
    later = datetime.now(UTC) + timedelta(seconds=1)
    with db.reading(engine) as reading:
        written = {item.table: item for item in export(reading, tmp_path, format="parquet",
                                                        since=later)}
    for name in ("spend", "observations", "pilots", "metrics", "hypotheses", "decisions"):
        assert (written[name].rows, written[name].whole) == (0, False), name
    assert (written["recommendations"].rows, written["recommendations"].whole) == (1, True)
    with db.reading(engine) as reading:
        everything = {item.table: item for item in export(reading, tmp_path / "all")}
    assert (everything["spend"].rows, everything["observations"].rows) == (1, 24)


def test_formula_text_is_defused_in_csv_but_kept_in_parquet(session, engine, tmp_path):
    pilot = start_pilot(session)
    evidence.add_spend(session, pilot_key=pilot.key, spent_on=date(2026, 1, 10), amount=5,
                       description="=HYPERLINK(\"http://evil\")", actor=ACTOR)
    session.commit()
    with db.reading(engine) as reading:
        export(reading, tmp_path, format="csv", tables=["spend"])
        export(reading, tmp_path, format="parquet", tables=["spend"])
    row = read_csv(tmp_path / "spend.csv")[0]
    assert row["description"] == "'=HYPERLINK(\"http://evil\")"
    assert row["amount"] == "5.0"
    assert pd.read_parquet(tmp_path / "spend.parquet")["description"][0].startswith("=")


def test_lab_export_writes_files_and_refuses_bad_input(runner, session, tmp_path):
    start_pilot(session)
    result = runner.invoke(export_command, ["--format", "csv", "--to", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'out' / 'pilots.csv'}: 1 rows (whole)" in result.output
    bad = runner.invoke(export_command, ["--to", str(tmp_path), "--since", "last week"])
    assert bad.exit_code == 2
    assert "must be an ISO 8601 date or time" in bad.output
    (tmp_path / "file").write_text("x")
    assert runner.invoke(export_command, ["--to", str(tmp_path / "file")]).exit_code != 0


def test_the_schema_page_documents_every_table_and_column():
    text = DOCS.read_text(encoding="utf-8")
    for table in TABLES.values():
        section = text[text.index(f"### {table.name}\n"):]
        section = section[:section.find("\n### ", 1) if "\n### " in section[1:] else None]
        for name, dtype in table.schema.items():
            assert f"| `{name}` | {dtype_name(dtype)} |" in section, (table.name, name)
