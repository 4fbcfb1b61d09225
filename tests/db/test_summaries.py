"""lab.pilots.observations.summaries: sufficient statistics per period, computed in SQL."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlmodel import select

from lab import db
from lab.models import Metric, Pilot
from lab.pilots.observations import import_csv
from lab.pilots.observations.summaries import COLUMNS, period_summaries, summary_query
from tests.factories import (
    ACTOR,
    observation_rows,
    observations,
    scopes_plan,
    start_pilot,
    weekly_means,
    write_csv,
)

SCOPED_COLUMNS = ["pilot", "metric", "arm", "scope", "phase", "period", "n", "mean", "sd"]


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


def _reference(session, pilot_keys=None):
    """The frame as pandas makes it from the query's rows cell by cell (from_records,
    names mapped, periods parsed per row): what period_summaries built before it went
    column by column. The two must agree to the bit, dtypes and order included."""
    pilots = dict(session.execute(select(Pilot.id, Pilot.key)).all())
    metrics = dict(session.execute(select(Metric.id, Metric.key)).all())
    ids = None if pilot_keys is None else [i for i, k in pilots.items() if k in pilot_keys]
    result = session.connection().execute(summary_query(ids))
    rows = result.cursor.fetchall()
    result.close()
    frame = pd.DataFrame.from_records(rows, columns=["pilot_id", "metric_id", *COLUMNS[2:]])
    frame.insert(0, "pilot", [pilots[i] for i in frame.pop("pilot_id")])
    frame.insert(1, "metric", [metrics[i] for i in frame.pop("metric_id")])
    frame["pilot"] = frame["pilot"].astype(frame["arm"].dtype)
    frame["metric"] = frame["metric"].astype(frame["arm"].dtype)
    frame["period"] = pd.to_datetime(frame["period"], format="%Y-%m-%d")
    for name in ("n", "total", "total_sq"):
        frame[name] = frame[name].astype("float64")
    return frame


def test_the_frame_equals_the_one_built_cell_by_cell(engine, session, tmp_path):
    # All three kinds, a comparison-scopes pilot (scopes, before and during phases), and
    # a correction, as a varied database.
    start_pilot(session)
    spec = scopes_plan("x-scopes", 3, analysis="fixed")
    start_pilot(session, key="x-scopes", hypothesis={**spec["hypothesis"], "key": "scoped"},
                pilot=spec["pilot"],
                metrics=spec["metrics"])
    rows = observation_rows(periods=5)
    import_csv(engine, source=write_csv(tmp_path / "rows.csv", rows), actor=ACTOR)
    scoped = observations(["x-scopes"], weekly_means(np.random.default_rng(3), 1, 3, 6, 4,
                                                     "specific", 1.0), 6)
    import_csv(engine, source=write_csv(tmp_path / "s.csv", scoped.to_dict("records"),
                                        SCOPED_COLUMNS), actor=ACTOR)
    corrected = [dict(row) for row in rows[:3]]
    for row in corrected:
        for name in ("trials", "n", "exposure"):
            if row.get(name) not in (None, ""):
                row[name] = float(row[name]) + 7 if name == "exposure" else int(row[name]) + 7
    assert import_csv(engine, source=write_csv(tmp_path / "c.csv", corrected), actor=ACTOR,
                      correct=True).corrected == 3
    with db.reading(engine) as read:
        for keys in (None, ["x-scopes"], ["x-care-1h", "x-scopes"], []):
            frame, reference = period_summaries(read, keys), _reference(read, keys)
            assert list(frame.dtypes) == list(reference.dtypes)
            pd.testing.assert_frame_equal(frame, reference, check_exact=True)
        full = period_summaries(read)
    assert set(full["phase"]) == {"before", "during"} and set(full["scope"]) > {""}
    assert full["total_sq"].notna().any() and full["total_sq"].isna().any()
