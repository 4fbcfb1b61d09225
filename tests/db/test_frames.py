"""CSV-shaped observations become period summaries, or a clear error."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lab.pilots.observations.given import from_observations
from lab.pilots.observations.problems import ObservationError
from lab.pilots.observations.summaries import COLUMNS

ROW = {"pilot": "p", "metric": "churn", "arm": "pilot", "period": "2026-01-05",
       "successes": 3, "trials": 10}


def test_each_kind_becomes_n_total_and_total_sq():
    rows = [ROW,
            {"pilot": "p", "metric": "cost", "arm": "control", "phase": "", "period":
             dt.date(2026, 1, 5), "n": 10, "mean": 2.0, "sd": 1.0, "successes": None},
            {"pilot": "p", "metric": "calls", "arm": "pilot", "phase": "before",
             "period": pd.Timestamp("2026-01-12"), "events": 4, "exposure": 2.5}]
    frame = from_observations(pd.DataFrame(rows))
    assert list(frame.columns) == COLUMNS
    assert frame["phase"].tolist() == ["during", "during", "before"]
    assert frame[["n", "total"]].to_numpy().tolist() == [[10, 3], [10, 20], [2.5, 4]]
    assert frame["total_sq"].iloc[1] == pytest.approx(9 * 1.0)  # (n − 1)sd², about the mean
    assert np.isnan(frame["total_sq"].iloc[0])
    assert frame["period"].tolist() == [dt.date(2026, 1, 5), dt.date(2026, 1, 5),
                                        dt.date(2026, 1, 12)]


@pytest.mark.parametrize(("change", "message"), [
    ({"successes": 11}, "row 1, column 'successes': 11 successes exceed 10 trials"),
    ({"trials": -2}, "row 1, column 'trials': must be at least 0, not -2"),
    ({"trials": "ten"}, "row 1, column 'trials': must be a whole number, not 'ten'"),
    ({"trials": 10.5}, "must be a whole number, not '10.5'"),
    ({"successes": 2.5}, "must be a whole number, not '2.5'"),
    ({"trials": 10**15 + 1}, "must be at most 1000000000000000"),
    ({"period": "05/01/2026"}, "not an ISO date"),
    ({"arm": "treatment"}, "'treatment' is not one of pilot, control"),
    ({"phase": "after"}, "'after' is not one of before, during"),
    ({"pilot": " "}, "column 'pilot': is blank"),
    ({"n": 3, "mean": 1, "sd": 1}, "fill exactly one group"),
])
def test_bad_rows_are_refused_naming_row_and_column(change, message):
    with pytest.raises(ObservationError, match=message):
        from_observations([ROW, {**ROW, **change}] if "row 1" not in message
                          else [{**ROW, **change}])


def test_duplicates_and_missing_columns_are_refused():
    with pytest.raises(ObservationError, match="row 2, column 'period': repeats"):
        from_observations([ROW, ROW])
    with pytest.raises(ObservationError, match="column missing"):
        from_observations([{"pilot": "p"}])


def test_mean_needs_at_least_one_unit_and_rate_events_need_exposure():
    with pytest.raises(ObservationError, match="'n': must be at least 1"):
        from_observations([{**ROW, "successes": None, "trials": None, "n": 0, "mean": 1,
                            "sd": 1}])
    with pytest.raises(ObservationError, match="'events': 1 events with 0 exposure"):
        from_observations([{**ROW, "successes": None, "trials": None, "events": 1,
                            "exposure": 0}])
    with pytest.raises(ObservationError, match="'exposure': must be at least 0, not -1"):
        from_observations([{**ROW, "successes": None, "trials": None, "events": 0,
                            "exposure": -1}])
    empty = from_observations([{**ROW, "successes": None, "trials": None, "events": 0,
                                "exposure": 0}])
    assert empty[["n", "total"]].to_numpy().tolist() == [[0, 0]]


def test_empty_observations_give_an_empty_frame():
    assert list(from_observations([]).columns) == COLUMNS
