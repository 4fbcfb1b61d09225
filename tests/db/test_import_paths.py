"""The import's two paths and `lab.check`'s frame agree on which values they accept.

The fast path (`fast.converter`) is an inlined copy of the full check
(`RowChecker.check`), for speed. These properties hold them to each other on generated
rows: the fast path never accepts a row the full check refuses, stores exactly the tuple
the full check builds, and accepts every plainly written row the full check accepts. A
third property holds `from_observations` (the frame `lab.check` validates) to the import.
"""

from __future__ import annotations

import contextlib
import csv
import math
import shutil
from datetime import date

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from lab import db
from lab.kinds import KIND_VALUES, LARGEST_COUNT, VALUE_COLUMNS, VALUE_NAMES, ValueColumn
from lab.pilots.observations import ObservationError, bulk, fast
from lab.pilots.observations.given import from_observations
from lab.pilots.observations.problems import Problems
from lab.pilots.observations.rows import KEY_COLUMNS, PHASES, RowChecker, Window
from lab.pilots.observations.targets import Targets, window
from lab.vocabulary import DESIGN_ARMS, DESIGN_PHASES, Design, Kind, Phase, values
from tests.factories import start_pilot

METRIC = {Kind.proportion: "churn-90d", Kind.mean: "cost-per-contact", Kind.rate: "complaints"}
TARGETS = [(design, kind) for design in Design for kind in Kind]
PERIOD = "2026-01-05"  # the pilots' start: in the during window, not the before window
BEFORE = "2025-12-01"  # in the before window only
EXAMPLES = settings(max_examples=100, deadline=None)


@pytest.fixture(scope="module")
def targets(sqlite_template, tmp_path_factory):
    """Return the Targets of a database with a running pilot of each design."""
    path = tmp_path_factory.mktemp("paths") / "lab.sqlite"
    shutil.copy(sqlite_template, path)
    engine = db.engine_for(f"sqlite:///{path}")
    with db.writing(engine) as session:
        for design in Design:
            scopes = ({"comparison_scopes": ["c-a", "c-b"]}
                      if design == Design.comparison_scopes else {})
            start_pilot(session, key=f"p-{design}", pilot={"design": design,
                                                           "channel": f"c-{design}", **scopes})
    connection = engine.connect()
    yield Targets(connection)
    connection.close()
    engine.dispose()


def often(valid: st.SearchStrategy, anything: st.SearchStrategy) -> st.SearchStrategy:
    """Draw from `valid` three times in four, so that many whole rows are valid."""
    return st.one_of(valid, valid, valid, anything)


def number_text(column: ValueColumn) -> st.SearchStrategy[str]:
    """Write a cell as a CSV might have it: near the bounds, out of them, or no number."""
    edges = [bound + step for bound in (column.least, column.above, column.most, 0)
             if bound is not None for step in (-1, 0, 1)]
    if column.whole:
        valid = st.integers(int(column.lowest), int(column.highest)).map(str)
    else:
        valid = st.floats(column.lowest, column.highest).map(repr)
    floats = st.one_of(st.floats(), st.sampled_from([-0.0, 0.5, 1e-320, 1e308, 2.5])).map(repr)
    odd = st.sampled_from(["", " ", "abc", "1e400", "-inf", "3.0", " 7 ", "1_000", "0x10",
                           "\u0661\u0662", "+4", "1,5", "NaN"])
    return often(valid, st.one_of(st.sampled_from(edges).map(str),
                                  st.integers(-10**20, 10**20).map(str), floats, odd))


@st.composite
def csv_rows(draw, design: Design, kind: Kind) -> tuple[list[str], dict[str, str]]:
    """Draw a header for a metric of this kind and one record under it, by column."""
    foreign = [name for name in VALUE_NAMES if name not in VALUE_COLUMNS[kind]]
    keys = [name for name in KEY_COLUMNS if name != "phase" or draw(st.booleans())]
    others = draw(st.lists(st.sampled_from(foreign), unique=True))
    header = draw(st.permutations(keys + list(VALUE_COLUMNS[kind]) + others))
    phases = [str(phase) for phase in DESIGN_PHASES[design]] + (
        [""] if Phase.during in DESIGN_PHASES[design] else [])
    cells = {"arm": often(st.sampled_from([str(arm) for arm in DESIGN_ARMS[design]]),
                          st.sampled_from(["pilot", "control", "treatment", "", " pilot"])),
             "phase": often(st.sampled_from(phases),
                            st.sampled_from(["", "during", "before", "after", "During"])),
             "period": often(st.sampled_from([PERIOD, BEFORE]),
                             st.sampled_from(["2026-02-30", "05/01/2026", "2026-1-5", "",
                                              "2300-01-02", "0001-01-01", "9999-12-31"])),
             **{name: often(st.just(""), st.sampled_from([" ", "1", "0"])) for name in foreign},
             **{column.name: number_text(column) for column in KIND_VALUES[kind]}}
    record = {"pilot": f"p-{design}", "metric": METRIC[kind],
              **{name: draw(cells[name]) for name in header if name in cells}}
    return header, record


def plainly_written(header: list[str], record: list[str], kind: Kind) -> bool:
    """Tell whether every cell is written as the fast path expects valid data written."""
    cells = dict(zip(header, record, strict=True))
    foreign_blank = all(cells[name] == "" for name in cells
                        if name in VALUE_NAMES and name not in VALUE_COLUMNS[kind])
    numbers = all(_plain(cells[column.name], column) for column in KIND_VALUES[kind])
    return foreign_blank and numbers


def _plain(cell: str, column: ValueColumn) -> bool:
    try:
        return cell == (str(int(cell)) if column.whole else repr(float(cell)))
    except ValueError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize(("design", "kind"), TARGETS)
@EXAMPLES
@given(data=st.data())
def test_the_fast_path_accepts_what_the_full_check_accepts_and_stores_the_same(
        targets, design, kind, data):
    header, cells = data.draw(csv_rows(design, kind))
    record = [cells[name] for name in header]
    problems = Problems()
    checker = RowChecker(header, targets, problems)
    checked = checker.check(record, 2)  # first: it remembers the period, as on first sight
    assert (checked is None) == bool(problems.found)
    target = targets.find(f"p-{design}", METRIC[kind])
    convert = fast.converter(target, checker.index, checker.width,
                             checker.windows[target.pilot_id])
    if design == Design.comparison_scopes:  # its rows always take the full check
        assert convert is None
        return
    try:
        converted = convert(record)
    except (KeyError, ValueError, IndexError):  # what the importer falls back on
        converted = None
    event("accepted" if checked else "refused")
    if converted is not None:
        assert converted == checked
        assert [type(value) for value in converted] == [type(value) for value in checked]
    if checked is not None and plainly_written(header, record, kind):
        assert converted == checked
    # A period first met on the fast path is checked there (rows.Window), as check() would.
    first_sight = fast.converter(target, checker.index, checker.width, {
        phase: Window(window(phase, target.start, target.end), date.isoformat)
        for phase in PHASES})
    with contextlib.suppress(KeyError, ValueError, IndexError):  # else: the full check
        assert first_sight(record) == checked


def frame_value(column: ValueColumn) -> st.SearchStrategy:
    """Draw a value as a DataFrame holds it: counts as integers, measurements as floats.

    A count written as a float with no fraction (5.0) is left out: a frame holds it for
    5 (pandas makes an integer column with blanks float), while a CSV cell "5.0" is no
    whole number. NaN is left out too: in a frame it means a blank cell.
    """
    edges = [bound + step for bound in (column.least, column.above, column.most, 0)
             if bound is not None for step in (-1, 0, 1)]
    # Any magnitude: the kinds' bounds refuse whatever would overflow n·mean².
    floats = st.floats(allow_nan=False)
    if column.whole:
        valid = st.integers(int(column.lowest), int(column.highest))
        floats = floats.filter(lambda x: not x.is_integer())
    else:
        valid = st.floats(column.lowest, column.highest)
    return often(valid, st.one_of(st.sampled_from(edges), st.integers(-10**20, 10**20),
                                  floats, st.sampled_from([math.inf, -math.inf, 2.5]))
                 .filter(lambda x: not (column.whole and isinstance(x, float)
                                        and x.is_integer())))


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(Kind))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_from_observations_and_the_import_accept_and_refuse_the_same_values(
        targets, kind, data):
    numbers = {column.name: data.draw(frame_value(column), label=column.name)
               for column in KIND_VALUES[kind]}
    row = {"pilot": "p-holdout", "metric": METRIC[kind], "arm": "pilot", "period": PERIOD,
           **numbers}
    try:
        from_observations([row], kinds={("p-holdout", METRIC[kind]): kind})
        refused = None
    except ObservationError as error:
        [problem] = error.problems
        refused = (problem.column, problem.message)
    header = list(KEY_COLUMNS) + list(VALUE_NAMES)
    written = {name: (repr(value) if isinstance(value, float) else str(value))
               for name, value in numbers.items()}
    record = [{"arm": "pilot", "phase": "during", "period": PERIOD, **row, **written}
              .get(name, "") for name in header]
    problems = Problems()
    checked = RowChecker(header, targets, problems).check(record, 2)
    first = (problems.found[0].column, problems.found[0].message) if problems.found else None
    event("refused" if refused else "accepted")
    assert (checked is None) == (refused is not None)
    assert first == refused


def test_negative_means_are_accepted_everywhere(targets):
    row = {"pilot": "p-holdout", "metric": METRIC[Kind.mean], "arm": "pilot",
           "period": PERIOD, "n": 10, "mean": -4.5, "sd": 2.0}
    frame = from_observations([row])
    assert frame["total"].iloc[0] == -45.0
    header = list(row)
    record = [str(row[name]) for name in header]
    checker = RowChecker(header, targets, Problems())
    assert checker.check(record, 2)[7:10] == (10, -4.5, 2.0)
    target = targets.find("p-holdout", METRIC[Kind.mean])
    convert = fast.converter(target, checker.index, checker.width,
                             checker.windows[target.pilot_id])
    assert convert(record)[7:10] == (10, -4.5, 2.0)


def test_counts_stop_at_the_largest_count(targets):
    header = list(KEY_COLUMNS) + list(VALUE_COLUMNS[Kind.proportion])
    for trials, accepted in ((LARGEST_COUNT, True), (LARGEST_COUNT + 1, False)):
        record = ["p-holdout", METRIC[Kind.proportion], "pilot", "during", PERIOD, "1",
                  str(trials)]
        checked = RowChecker(header, targets, Problems()).check(record, 2)
        assert (checked is not None) == accepted
        row = dict(zip(header, record, strict=True))
        if accepted:
            from_observations([row])
        else:
            with pytest.raises(ObservationError, match="must be at most"):
                from_observations([row])
    assert values(Kind) == list(KIND_VALUES)


@pytest.mark.slow
@pytest.mark.parametrize(("design", "kind"), TARGETS)
@EXAMPLES
@given(data=st.data())
def test_the_columnar_path_stores_what_the_row_path_stores_or_declines(
        targets, tmp_path_factory, design, kind, data):
    # bulk.py checks a block of rows at once in numpy: on any one row it must agree
    # with the full check, and keep every plainly written row the full check accepts.
    header, cells = data.draw(csv_rows(design, kind))
    record = [cells[name] for name in header]
    path = tmp_path_factory.mktemp("bulk") / "o.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, record])
    try:
        [(kept, _, _)] = list(bulk.blocks(path, targets, date.isoformat, (10_000, 100)))
    except bulk.UNREADABLE:
        kept = None
    checked = RowChecker(header, targets, Problems()).check(record, 2)
    event("kept" if kept else "declined")
    if kept is not None:
        assert kept == [checked]
        assert [type(value) for value in kept[0]] == [type(value) for value in checked]
    quoted = any(set(cell) & set('",\r\n') for cell in record)  # csv.writer quotes it
    if checked is not None and not quoted and design != Design.comparison_scopes and \
            plainly_written(header, record, kind):
        assert kept is not None, record
