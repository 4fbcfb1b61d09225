"""lab.kinds: each metric kind's value columns and their bounds, and the words for them."""

from __future__ import annotations

import math

import pytest

from lab.kinds import COLUMNS_BY_NAME, KIND_VALUES, LARGEST_COUNT, VALUE_COLUMNS, VALUE_NAMES
from lab.models import VALUE_COLUMNS as MODEL_VALUE_COLUMNS
from lab.vocabulary import Kind
from lab.web.schemas import ObservationIn

SUCCESSES, TRIALS, N, MEAN, SD, EXPOSURE = (COLUMNS_BY_NAME[name] for name in (
    "successes", "trials", "n", "mean", "sd", "exposure"))


def test_each_kind_fills_its_own_columns_in_the_stored_order():
    # The fast path writes its tuples out in this order, and the migrations made the table.
    stored = {Kind.proportion: ("successes", "trials"), Kind.mean: ("n", "mean", "sd"),
              Kind.rate: ("events", "exposure")}
    assert stored == VALUE_COLUMNS
    assert sum(stored.values(), ()) == VALUE_NAMES
    assert MODEL_VALUE_COLUMNS is VALUE_COLUMNS
    assert list(KIND_VALUES) == list(Kind)


@pytest.mark.parametrize(("column", "value", "problem"), [
    (SUCCESSES, -1, "must be at least 0, not -1"),
    (TRIALS, LARGEST_COUNT, None),
    (TRIALS, LARGEST_COUNT + 1, f"must be at most {LARGEST_COUNT}, not {LARGEST_COUNT + 1}"),
    (TRIALS, 2.5, "must be a whole number, not '2.5'"),
    (N, 0, "must be at least 1, not 0"),
    (N, 1, None),
    (MEAN, -1e12, None),
    (MEAN, -1e300, "must be at least -1000000000000, not -1e+300"),
    (SD, 1e13, "must be at most 1000000000000, not 10000000000000.0"),
    (MEAN, math.nan, "must be a finite number, not 'nan'"),
    (SD, 0.0, None),
    (SD, -0.5, "must be at least 0, not -0.5"),
    (EXPOSURE, 0.0, None),  # a week with no exposure adds nothing (issue 12 item 8)
    (EXPOSURE, -1e-9, "must be at least 0, not -1e-09"),
    (EXPOSURE, 5e-324, None),
    (EXPOSURE, 1e15, None),
    (EXPOSURE, 1.5e15, "must be at most 1000000000000000, not 1500000000000000.0"),
])
def test_a_value_is_refused_saying_which_bound(column, value, problem):
    assert column.problem(value, value) == problem
    if not column.whole or value == int(value):
        # What the fast path checks: the same bounds as one chained comparison.
        assert (column.lowest <= value <= column.highest) == (problem is None)


def test_infinities_and_nan_fall_outside_every_range():
    for column in COLUMNS_BY_NAME.values():
        for value in (math.inf, -math.inf, math.nan):
            assert not column.lowest <= value <= column.highest, column.name


def test_successes_may_not_exceed_trials():
    assert SUCCESSES.exceeding(401, 400) == "401 successes exceed 400 trials"
    assert SUCCESSES.exceeding(400.0, 400.0) is None
    assert TRIALS.exceeding(5, 1) is None  # no column bounds the trials


@pytest.mark.parametrize("name", VALUE_NAMES)
def test_the_api_schema_states_the_declared_bounds(name):
    column = COLUMNS_BY_NAME[name]
    [field] = [option for option in
               ObservationIn.model_json_schema()["properties"][name]["anyOf"]
               if option["type"] != "null"]
    assert field["type"] == ("integer" if column.whole else "number")
    assert field.get("minimum") == column.least
    assert field.get("exclusiveMinimum") == column.above
    assert field.get("maximum") == column.most
