"""lab.pilots.observations.summaries: sufficient statistics per period, computed in SQL."""

from __future__ import annotations

import math

import pytest

from lab import db
from lab.pilots.observations import import_csv
from lab.pilots.observations.summaries import COLUMNS, period_summaries
from tests.factories import ACTOR, observation_rows, start_pilot, write_csv


@pytest.fixture
def logged(session, engine, tmp_path):
    start_pilot(session)
    start_pilot(session, key="other", pilot={"channel": "facebook"})
    rows = observation_rows(periods=2) + observation_rows("other", periods=1)
    import_csv(engine, source=write_csv(tmp_path / "rows.csv", rows), actor=ACTOR)


def summary(frame, metric, arm="pilot", period="2026-01-05", pilot="x-care-1h"):
    found = frame[(frame.pilot == pilot) & (frame.metric == metric) & (frame.arm == arm)
                  & (frame.period == period)]
    assert len(found) == 1
    return found.iloc[0]


def test_each_kind_becomes_n_total_and_total_sq(engine, logged):
    with db.reading(engine) as session:
        frame = period_summaries(session)
    assert list(frame.columns) == COLUMNS and len(frame) == 18
    churn = summary(frame, "churn-90d", arm="control")
    assert (churn.n, churn.total) == (400, 48) and math.isnan(churn.total_sq)
    cost = summary(frame, "cost-per-contact")
    assert cost.n == 300
    assert cost.total == pytest.approx(300 * 12.5)
    assert cost.total_sq == pytest.approx(299 * 3.25**2)  # (n − 1)sd², about the mean
    complaints = summary(frame, "complaints", period="2026-01-12")
    assert (complaints.n, complaints.total) == (1001.0, 31)
    assert math.isnan(complaints.total_sq)
    assert str(frame.period.dtype).startswith("datetime64")


def test_summaries_of_chosen_pilots_only(engine, logged):
    with db.reading(engine) as session:
        frame = period_summaries(session, ["other"])
        assert set(frame.pilot) == {"other"} and len(frame) == 6
        assert period_summaries(session, []).empty
