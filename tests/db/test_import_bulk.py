"""The import's columnar path (bulk.py) stores what the row path stores, or declines.

Each case imports one file twice into the same database, each time in a transaction
rolled back afterwards: once as `lab import` does (columnar first), once with the
columnar path switched off. The chunks handed to the store (every tuple, with the type
of every value, and every line number) and the outcome (counts, or the problems named)
must be the same; and the columnar path must have kept, or declined, the files it
is meant to.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import col, select

import lab.portfolio.stored  # noqa: F401 (the refresher `lab import` installs)
from lab import db
from lab.models import Pilot
from lab.pilots import stored
from lab.pilots.observations import ObservationError, bulk, importer, sources
from lab.pilots.observations.plain import Declined
from lab.pilots.observations.store import ObservationStore
from lab.pilots.observations.summaries import summary_rows
from lab.pilots.observations.targets import window
from tests.db.test_stored import assert_stored_is_fresh, random_rows
from tests.factories import ACTOR, CSV_COLUMNS, observation_rows, start_pilot

BASE = observation_rows(periods=6)


class Undo(Exception):
    """Raised to roll an import's transaction back."""


def text_of(rows: list[dict], columns: list[str] = CSV_COLUMNS, end: str = "\r\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator=end)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


PROPORTION, MEAN, RATE = "churn-90d", "cost-per-contact", "complaints"


def changed(metric: str, /, **cells) -> str:
    """Return BASE as CSV with these cells changed in the metric's first row."""
    rows = [dict(row) for row in BASE]
    next(row for row in rows if row["metric"] == metric).update(cells)
    return text_of(rows)


def run(engine, path: Path, monkeypatch, *, columnar: bool, correct: bool = False):
    """Import the file; return the store's chunks, the outcome and whether bulk declined."""
    chunks, declined = [], []
    real_add, real_blocks = ObservationStore.add, bulk.blocks

    def add(self, rows, lines, source):
        chunks.append(([tuple(type(value).__name__ for value in row) for row in rows],
                       list(rows), list(lines)))
        return real_add(self, rows, lines, source)

    def blocks(*args, **kwargs):
        if not columnar:
            raise Declined
        try:
            yield from real_blocks(*args, **kwargs)
        except bulk.UNREADABLE:
            declined.append(True)
            raise

    monkeypatch.setattr(ObservationStore, "add", add)
    monkeypatch.setattr(bulk, "blocks", blocks)
    try:
        with db.writing(engine) as session:
            try:
                results = importer._import(session, [sources.CsvSource(path, None)],
                                           actor=ACTOR, correct=correct)
                outcome = [(r.rows, r.inserted, r.unchanged, r.corrected) for r in results]
            except ObservationError as error:
                outcome = [(p.line, p.column, p.message) for p in error.problems]
            raise Undo
    except Undo:
        pass
    monkeypatch.undo()
    # A declined file's chunks were rolled back: only the row path's read counts.
    return chunks, outcome, bool(declined)


@pytest.fixture
def pilot(session):
    return start_pilot(session)


def same_both_ways(engine, tmp_path, monkeypatch, text: str, **kwargs) -> tuple[bool, list]:
    path = tmp_path / "o.csv"
    path.write_bytes(text.encode("utf-8"))
    chunks, outcome, declined = run(engine, path, monkeypatch, columnar=True, **kwargs)
    row_chunks, row_outcome, _ = run(engine, path, monkeypatch, columnar=False, **kwargs)
    assert outcome == row_outcome
    if not declined:
        assert chunks == row_chunks
    return declined, outcome


KEPT = {
    "plain": text_of(BASE),
    "newlines only": text_of(BASE, end="\n"),
    "no phase column": text_of([{k: v for k, v in row.items() if k != "phase"} for row in BASE],
                               [c for c in CSV_COLUMNS if c != "phase"]),
    "blank phase": changed(PROPORTION, phase=""),
    "exponent and bare point in a mean": changed(MEAN, mean="1.25e1"),
    "a mean without a fraction": changed(MEAN, mean="12"),
    "columns in another order": text_of(BASE, list(reversed(CSV_COLUMNS))),
    "byte-order mark": "\ufeff" + text_of(BASE),
    "upper-case header": text_of(BASE).replace("pilot,metric", "Pilot,METRIC", 1),
    "a repeated key": text_of(BASE + [BASE[3]]),
    "zero exposure, no events": changed(RATE, events="0", exposure="0"),
}

DECLINED = {
    "a quoted cell": text_of(BASE).replace(",pilot,", ',"pilot",', 1),
    "a sign": changed(PROPORTION, trials="+400"),
    "a space": changed(PROPORTION, trials=" 400"),
    "a digit separator": changed(PROPORTION, trials="4_00"),
    "hexadecimal": changed(PROPORTION, trials="0x190"),
    "a fraction in a count": changed(PROPORTION, trials="400.0"),
    "other scripts' digits": changed(PROPORTION, trials="\u0664\u0660\u0660"),
    "not a number": changed(MEAN, mean="twelve"),
    "NaN": changed(MEAN, mean="nan"),
    "infinity": changed(MEAN, sd="inf"),
    "a negative sd": changed(MEAN, sd="-1"),
    "more successes than trials": changed(PROPORTION, successes="401", trials="400"),
    "events without exposure": changed(RATE, events="3", exposure="0"),
    "a foreign cell": changed(PROPORTION, n="5"),
    "a foreign cell of spaces": changed(PROPORTION, n="  "),
    "a needed cell blank": changed(MEAN, sd=""),
    "an unknown pilot": changed(PROPORTION, pilot="nobody"),
    "an unknown metric": changed(PROPORTION, metric="nothing"),
    "an unknown arm": changed(PROPORTION, arm="treatment"),
    "a phase the design lacks": changed(PROPORTION, phase="before"),
    "a phase of spaces": changed(PROPORTION, phase=" "),
    "a period outside the window": changed(PROPORTION, period="2031-01-06"),
    "a period not ISO": changed(PROPORTION, period="2026-1-5"),
    "a blank line": text_of(BASE).replace("\r\n", "\r\n\r\n", 3),
    "an empty row": text_of(BASE) + ",,,,,,,,,,,\r\n",
    "a short row": text_of(BASE) + "x-care-1h,churn-90d\r\n",
    "a scope column": text_of([{**row, "scope": ""} for row in BASE], CSV_COLUMNS + ["scope"]),
    "a lone carriage return": text_of(BASE).replace("\r\n", "\r", 2),
}


@pytest.mark.parametrize("case", list(KEPT))
def test_a_plain_valid_file_takes_the_columnar_path(engine, pilot, tmp_path, monkeypatch, case):
    declined, outcome = same_both_ways(engine, tmp_path, monkeypatch, KEPT[case])
    assert not declined
    assert outcome  # counts, or the repeated key's problem


@pytest.mark.parametrize("case", list(DECLINED))
def test_anything_else_is_declined_and_read_row_by_row(engine, pilot, tmp_path, monkeypatch,
                                                        case):
    declined, _ = same_both_ways(engine, tmp_path, monkeypatch, DECLINED[case])
    assert declined


def test_the_stored_tuples_have_the_row_paths_types(engine, pilot, tmp_path, monkeypatch):
    path = tmp_path / "o.csv"
    path.write_text(text_of(BASE), encoding="utf-8")
    chunks, outcome, declined = run(engine, path, monkeypatch, columnar=True)
    assert not declined and outcome == [(len(BASE), len(BASE), 0, 0)]
    types = {kind for types, _, _ in chunks for row in types for kind in row}
    assert types <= {"int", "float", "str", "NoneType", "date"}
    by_metric = {row[1]: row for _, rows, _ in chunks for row in rows}
    assert sorted(len(row) for row in by_metric.values()) == [13, 13, 13]


def test_a_file_declined_after_chunks_were_written_leaves_none_of_them(
        engine, pilot, tmp_path, monkeypatch):
    rows = observation_rows(periods=12)
    rows[-1] = {**rows[-1], "exposure": "-1"}
    monkeypatch.setattr(importer, "CHUNK_ROWS", 5)
    text = text_of(rows)
    path = tmp_path / "o.csv"
    path.write_text(text, encoding="utf-8")
    # Blocks of one line each: the bad row comes after several chunks went in.
    monkeypatch.setattr("lab.pilots.observations.plain.BLOCK_BYTES", 64)
    declined, outcome = same_both_ways(engine, tmp_path, monkeypatch, text)
    assert declined and outcome == [(len(rows) + 1, "exposure", outcome[0][2])]
    with pytest.raises(ObservationError):
        importer.import_csv(engine, source=path, actor=ACTOR)
    with db.reading(engine) as session:
        count = session.connection().exec_driver_sql("SELECT count(*) FROM observation")
        assert count.scalar() == 0


def test_re_sent_contradicting_and_corrected_rows_match(engine, pilot, tmp_path, monkeypatch):
    path = tmp_path / "first.csv"
    path.write_text(text_of(BASE), encoding="utf-8")
    importer.import_csv(engine, source=path, actor=ACTOR)
    assert same_both_ways(engine, tmp_path, monkeypatch, text_of(BASE)) == (
        False, [(len(BASE), 0, len(BASE), 0)])
    contradicting = changed(PROPORTION, successes="41")
    declined, outcome = same_both_ways(engine, tmp_path, monkeypatch, contradicting)
    assert not declined and outcome[0][0] == 2
    declined, outcome = same_both_ways(engine, tmp_path, monkeypatch, contradicting,
                                       correct=True)
    assert not declined and outcome == [(len(BASE), 0, len(BASE) - 1, 1)]


def test_an_import_of_new_pilots_stores_what_a_fresh_computation_gives(
        engine, session, tmp_path, monkeypatch):
    # The refresh after it takes the summary rows from the import, not from the table:
    # the answers, and the frame they were computed from, must be those of the table.
    rng = random.Random(20261202)
    keys = [f"p-{i}" for i in range(4)]
    for key in keys:
        start_pilot(session, key=key, pilot={"planned_sample": rng.choice([800, 4800])})
    given = []
    real_give = stored.give
    monkeypatch.setattr(stored, "give", lambda s, taken: (given.append(taken),
                                                          real_give(s, taken)))
    rows = [row for key in keys[:3] for row in random_rows(rng, key, range(9))]
    rng.shuffle(rows)  # the query's order is the summaries' own, whatever the file's
    first = tmp_path / "first.csv"
    first.write_text(text_of(rows), encoding="utf-8")
    importer.import_csv(engine, source=first, actor=ACTOR)
    [taken] = given
    assert not taken.spoiled and taken.fresh == {pilot.id for pilot in pilots(engine, keys[:3])}
    assert_stored_is_fresh(engine)
    with db.reading(engine) as read:
        from_table = summary_rows(read, keys[:3])
        from_import = taken.rows(from_table.pilots, from_table.metrics)
        pd.testing.assert_frame_equal(from_import.frame(), from_table.frame(), check_exact=True)
    # More weeks of a pilot with rows, and a new pilot: the first is read back.
    second = tmp_path / "second.csv"
    second.write_text(text_of(random_rows(rng, keys[0], range(9, 12))
                              + random_rows(rng, keys[3], range(4))), encoding="utf-8")
    importer.import_csv(engine, source=second, actor=ACTOR)
    assert given[-1].fresh == {pilot.id for pilot in pilots(engine, keys[3:])}
    assert_stored_is_fresh(engine)


def test_an_import_any_file_of_which_is_read_row_by_row_gives_nothing(
        engine, session, tmp_path, monkeypatch):
    for key in ("p-0", "p-1"):
        start_pilot(session, key=key)
    given = []
    monkeypatch.setattr(stored, "give", lambda s, taken: given.append(taken))
    rng = random.Random(7)
    plain_file, quoted = tmp_path / "plain.csv", tmp_path / "quoted.csv"
    plain_file.write_text(text_of(random_rows(rng, "p-0", range(3))), encoding="utf-8")
    quoted.write_text(text_of(random_rows(rng, "p-1", range(3))).replace(
        ",pilot,", ',"pilot",'), encoding="utf-8")
    importer.import_files(engine, sources=[plain_file, quoted], actor=ACTOR)
    assert given == []
    assert_stored_is_fresh(engine)


def pilots(engine, keys: list[str]) -> list[Pilot]:
    with db.reading(engine) as read:
        return list(read.exec(select(Pilot).where(col(Pilot.key).in_(keys))))


@pytest.mark.parametrize("edge, step, kept", [(0, 0, True), (1, 0, True), (0, -1, False),
                                              (1, 1, False)])
def test_a_period_on_its_windows_edge_is_kept_and_one_day_past_it_declined(
        engine, pilot, tmp_path, monkeypatch, edge, step, kept):
    day = window("during", pilot.start_date, pilot.end_date)[edge] + timedelta(days=step)
    declined, outcome = same_both_ways(engine, tmp_path, monkeypatch,
                                       changed(PROPORTION, period=day.isoformat()))
    assert declined is not kept
    assert (outcome[0][0] == len(BASE)) is kept  # refused (a line number) if not kept


def test_a_file_declined_after_its_staging_tables_were_made_is_read_again(
        engine, pilot, tmp_path, monkeypatch):
    # The re-sent rows make the store stage a chunk (its temporary tables appear inside
    # the savepoint); the bad last row declines the file, and the row path stages again.
    first = tmp_path / "first.csv"
    first.write_text(text_of(BASE), encoding="utf-8")
    importer.import_csv(engine, source=first, actor=ACTOR)
    later = observation_rows(periods=10)
    later[-1] = {**later[-1], "trials": "x"}
    monkeypatch.setattr(importer, "CHUNK_ROWS", 5)
    monkeypatch.setattr("lab.pilots.observations.plain.BLOCK_BYTES", 64)
    declined, outcome = same_both_ways(engine, tmp_path, monkeypatch, text_of(later))
    assert declined and [line for line, _, _ in outcome] == [len(later) + 1]
    later[-1] = dict(observation_rows(periods=10)[-1])
    declined, outcome = same_both_ways(engine, tmp_path, monkeypatch, text_of(later))
    assert not declined and outcome == [(len(later), len(later) - len(BASE), len(BASE), 0)]
