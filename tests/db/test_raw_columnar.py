"""The columnar path of the raw import gives the row path's totals, bit for bit.

A plain file (lab/pilots/observations/plain.py) is folded a batch at a time; any other
declines to the row path. Here both paths fold the same files and must agree exactly:
every count, every float sum (repr-equal), and the first raw line of every group.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from lab.models import Pilot
from lab.pilots.observations import columnar, plain, raw
from lab.pilots.observations.mapping import load, parse
from lab.pilots.observations.problems import Problems
from lab.pilots.observations.raw import import_raw
from lab.pilots.observations.targets import Targets
from tests.db.test_raw_import import EXAMPLES, start_example, stored
from tests.factories import ACTOR, start_pilot

MAPPING = """
pilot = "x-care-1h"
arm = { column = "desk", values = { "fast" = "pilot", "usual" = "control" }, others = "skip" }

[time]
column = "created"
timezone = "Europe/Amsterdam"
period = "PERIOD"

[[metrics]]
metric = "churn-90d"
share = { minutes = ["created", "replied"], at_most = LIMIT }
blank = "BLANK"

[[metrics]]
metric = "cost-per-contact"
mean = MEAN
where = { column = "channel", equals = "x" }
blank = "skip"

[[metrics]]
metric = "complaints"
count = { column = "channel", in = ["email", "x"] }
blank = "COUNTED"
exposure = EXPOSURE
"""
HEADER = "ticket,created,replied,channel,desk,cost,note\n"


def both(session, loaded, path: Path) -> tuple:
    """Fold a file by each path; return (rows, totals, first lines), None if declined."""
    targets, found = Targets(session.connection()), []
    for columnar_path in (True, False):
        groups = raw._Groups(loaded.mapping.metrics)
        reader = raw._Reader(loaded, targets, groups, Problems(), 0)
        if columnar_path:
            rows = columnar.fold(path, loaded.mapping, groups, 0,
                                 (raw.MAX_LINE_CHARS, raw.MAX_COLUMNS), reader._problem,
                                 reader._period, None)
        else:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                rows = reader._rows(csv.reader(handle, strict=True,
                                               delimiter=loaded.mapping.delimiter),
                                    lambda count: None)
            assert not reader.problems, reader.problems.found
        found.append(None if rows is None else
                     (rows, repr(sorted(groups.totals.items())), sorted(groups.first.items())))
    return found[0], found[1]


def mapping(period="week", limit=60, blank="fail", mean='{ column = "cost" }',
            counted="skip", exposure="{ rows = true, per = 1000 }"):
    text = MAPPING.replace("PERIOD", period).replace("LIMIT", str(limit))
    return parse(text.replace("BLANK", blank).replace("MEAN", mean)
                 .replace("COUNTED", counted).replace("EXPOSURE", exposure))


def export(rows: int, seed: int, *, separator=" ", seconds=True, costs=None,
           days=(datetime(2026, 3, 29), datetime(2026, 10, 25), datetime(2026, 1, 5))) -> str:
    """Return a ticket export: times around the clocks' changes, blanks, skipped desks."""
    pick = random.Random(seed)
    shape = f"%Y-%m-%d{separator}%H:%M" + (":%S" if seconds else "")
    lines = [HEADER]
    for i in range(rows):
        created = pick.choice(days) + timedelta(minutes=pick.randrange(-3000, 3000),
                                                seconds=pick.randrange(60) if seconds else 0)
        replied = "" if pick.random() < 0.1 else \
            (created + timedelta(minutes=pick.randrange(-10, 240))).strftime(shape)
        cost = pick.choice(costs) if costs else \
            pick.choice(["", f"{pick.uniform(-5, 1e9):.{pick.randrange(6)}f}",
                         str(pick.randrange(100)), f"{pick.uniform(0, 9):.3e}"])
        lines.append(f"T-{i},{created.strftime(shape)},{replied},"
                     f"{pick.choice(['x', 'email', '', 'x'])},"
                     f"{pick.choice(['fast', 'usual', 'vip'])},{cost},Card blocked\n")
    return "".join(lines)


def test_the_ticketing_example_is_folded_by_columns_as_by_rows(session):
    start_example(session, "x-care-1h")
    by_columns, by_rows = both(session, load(EXAMPLES / "ticketing.toml"),
                               EXAMPLES / "tickets.csv")
    assert by_columns == by_rows


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_batches_across_the_clock_changes_give_the_rows_totals(session, tmp_path,
                                                               monkeypatch, period):
    start_pilot(session)
    monkeypatch.setattr(plain, "BLOCK_BYTES", 1 << 14)  # many batches: totals carried over
    path = tmp_path / "t.csv"
    path.write_text(export(3000, seed=7), encoding="utf-8")
    by_columns, by_rows = both(session, mapping(period), path)
    assert by_columns is not None
    assert by_columns == by_rows


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10 ** 6), rows=st.integers(1, 300),
       separator=st.sampled_from([" ", "T"]), seconds=st.booleans(),
       limit=st.integers(-5, 200), blank=st.sampled_from(["fail", "skip"]),
       counted=st.sampled_from(["fail", "skip"]),
       mean=st.sampled_from(['{ column = "cost" }', '{ minutes = ["created", "replied"] }']),
       exposure=st.sampled_from(["{ rows = true, per = 1000 }",
                                 '{ sum = "cost", per = 7 }']))
def test_any_plain_export_gives_the_rows_totals(session, tmp_path, seed, rows, separator,
                                                seconds, limit, blank, counted, mean,
                                                exposure):
    if session.exec(select(Pilot)).first() is None:  # one pilot for every example
        start_pilot(session)
    path = tmp_path / "t.csv"
    costs = ["1.5", "2", "1e3", "0.25"] if "sum" in exposure else None
    path.write_text(export(rows, seed, separator=separator, seconds=seconds, costs=costs),
                    encoding="utf-8")
    by_columns, by_rows = both(session, mapping("week", limit, blank, mean, counted,
                                                exposure), path)
    assert by_columns is not None
    assert by_columns == by_rows


PLAIN = "2026-01-05 09:00:00,2026-01-05 09:40:00,x,fast,12.5,a\n"
# Written as line 3 ("T-1," first): one character past the cap, between short lines.
PAST_CAP = PLAIN.replace(",a\n", "," + "n" * (raw.MAX_LINE_CHARS + 2 - len("T-1," + PLAIN))
                         + "\n")


@pytest.mark.parametrize(("name", "text"), [
    ("a quote", PLAIN.replace(",a\n", ',"a, b"\n')),
    ("a blank line", PLAIN + "\n" + PLAIN),
    ("a line past the cap", PLAIN + PAST_CAP + PLAIN),
    ("a lone carriage return", PLAIN.replace(",a\n", ",a\rT-9,") + PLAIN),
    ("a time with an offset", PLAIN.replace("09:40:00", "09:40:00+01:00")),
    ("a time of another width", PLAIN + PLAIN.replace("09:40:00", "09:40")),
    ("a comma before the fraction", PLAIN.replace("09:40:00", "09:40:00,5")),
    ("a number float() reads and Arrow does not", PLAIN.replace("12.5", " 12.5")),
    ("digits of another script", PLAIN.replace("12.5", "١٢")),
    ("a desk the mapping does not list, refused", PLAIN.replace("fast", "new")),
])
def test_what_is_not_plain_is_read_row_by_row(session, tmp_path, name, text):
    start_pilot(session)
    loaded = parse(MAPPING.replace("PERIOD", "week").replace("LIMIT", "60")
                   .replace("BLANK", "fail").replace("MEAN", '{ column = "cost" }')
                   .replace("COUNTED", "skip").replace("EXPOSURE", "{ rows = true }")
                   .replace(', others = "skip"', ""))
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "".join(f"T-{i},{line}\n" if line else "\n"
                                     for i, line in enumerate(text.split("\n")[:-1])),
                    encoding="utf-8", newline="")
    groups = raw._Groups(loaded.mapping.metrics)
    reader = raw._Reader(loaded, Targets(session.connection()), groups, Problems(), 0)
    assert columnar.fold(path, loaded.mapping, groups, 0, (raw.MAX_LINE_CHARS, raw.MAX_COLUMNS),
                         reader._problem, reader._period, None) is None, name
    assert groups.totals == {}  # nothing of a declined file is kept


def test_windows_line_ends_are_plain(session, tmp_path):
    start_pilot(session)
    path = tmp_path / "t.csv"
    path.write_bytes(export(50, seed=3).replace("\n", "\r\n").encode())
    by_columns, by_rows = both(session, mapping(), path)
    assert by_columns is not None
    assert by_columns == by_rows


def test_a_file_read_row_by_row_after_a_columnar_one_carries_on_its_sums(engine, session,
                                                                         tmp_path):
    start_pilot(session)
    days = (datetime(2026, 1, 12), datetime(2026, 3, 29))  # within the pilot's weeks
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(export(200, seed=1, days=days), encoding="utf-8")
    second.write_text(export(200, seed=2, days=days).replace("Card blocked", '"Card, b"'),
                      encoding="utf-8")
    import_raw(engine, mapping=mapping(), sources=[first, second], actor=ACTOR)
    imported = stored(engine)
    # Both files read row by row (a quote in each) give exactly the stored rows.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(first.read_text().replace("Card blocked", '"Card blocked"'))
    groups = raw._Groups(mapping().mapping.metrics)
    reader = raw._Reader(mapping(), Targets(session.connection()), groups, Problems(), 0)
    assert [reader.read(path, None) for path in (quoted, second)] == [200, 200]
    expected = {}
    for (_, arm, phase, period), totals in groups.totals.items():
        for (metric, kind), total in zip(groups.rules, totals, strict=True):
            if raw.cells.values(kind, total) is not None:
                expected[metric, arm, phase, period.isoformat()] = raw.cells.values(kind, total)
    assert expected and set(expected) == set(imported)
    for key, values in expected.items():
        assert {name: getattr(imported[key], name) for name in values} == values, key


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
                  r"(:[0-9]{2}(\.[0-9]{1,7})?)?\Z"),
    st.datetimes().map(lambda moment: moment.isoformat(" ")),
    st.text("0123456789-:T .Z+", max_size=27)))
def test_a_plain_time_is_read_as_fromisoformat_reads_it(text):
    try:
        expected = datetime.fromisoformat(text)
    except ValueError:
        expected = None
    try:
        found, blank = plain.times(pa.array([text]))
    except plain.Declined:
        assert text == "" or expected is None or len(text) not in plain.TIME_WIDTHS \
            or text[10] not in " T" or "," in text
        return
    if blank[0]:
        assert text == ""
        return
    assert expected is not None and expected.tzinfo is None
    assert int(found[0]) == (expected - datetime(1970, 1, 1)) // timedelta(microseconds=1)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text("0123456789+-.eE_ naifty", max_size=12),
                 st.floats(allow_nan=False).map(repr),
                 st.decimals(allow_nan=False, allow_infinity=False).map(str)))
def test_a_number_arrow_reads_is_the_one_float_reads(text):
    try:
        values, empty, bad = plain.numbers(pa.array([text]))
    except pa.ArrowInvalid:
        return  # declined: the row path reads it (or refuses it)
    if empty[0]:
        assert text == ""
    elif not bad[0]:
        assert repr(float(text)) == repr(float(values[0]))


def test_progress_after_a_decline_hears_each_byte_and_row_once():
    heard = []
    told = plain.Resumed(lambda done, rows: heard.append((done, rows)))
    told(100, 10)  # the columnar read's first batch, then it declined
    again = told.again()
    for done, rows in [(60, 6), (60, 6), (30, 3)]:
        again(done, rows)
    assert (sum(done for done, _ in heard), sum(rows for _, rows in heard)) == (150, 15)
