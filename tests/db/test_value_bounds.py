"""Every stored value has finite bounds (lab/kinds.py), so no accepted row breaks an aggregate.

Issue 10 item 4: one `mean = 1e308` made PostgreSQL overflow in the summary and
checksum queries, and every page that reads them answered 500. The extreme values the
import accepts must sum without error on both databases, and the first value past
each bound is refused naming the line and column.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from lab import db
from lab.analysis.pipeline import recommend_pilots
from lab.kinds import LARGEST_COUNT, LARGEST_VALUE
from lab.models import Metric, Observation
from lab.pilots.observations import ObservationError, import_csv
from lab.pilots.observations.summaries import period_summaries
from lab.pilots.reads import data_version
from tests.factories import ACTOR, start_pilot

HEADER = "pilot,metric,arm,phase,period,successes,trials,n,mean,sd,events,exposure"
BIG, VALUE = LARGEST_COUNT, LARGEST_VALUE


def extreme_rows(period: str) -> list[str]:
    """Rows of every kind at the bounds the import accepts, for both arms."""
    rows = []
    for arm, mean in (("pilot", VALUE), ("control", -VALUE)):
        rows += [f"x-care-1h,churn-90d,{arm},during,{period},{BIG},{BIG},,,,,",
                 f"x-care-1h,cost-per-contact,{arm},during,{period},,,{BIG},{mean},{VALUE},,",
                 f"x-care-1h,complaints,{arm},during,{period},,,,,,{BIG},{float(BIG)}"]
    return rows


def load(engine, *rows: str) -> None:
    import_csv(engine, source=io.StringIO("\n".join((HEADER, *rows)) + "\n"), actor=ACTOR)


def test_the_extreme_accepted_values_sum_without_error(engine, session):
    pilot = start_pilot(session)
    load(engine, *extreme_rows("2026-01-05"), *extreme_rows("2026-01-12"))
    # Thousands more rows of the largest counts: past 2⁶³ in total, which an integer
    # SUM overflows on SQLite (PostgreSQL widens to numeric; a double holds both).
    churn = session.exec(select(Metric.id).where(Metric.key == "churn-90d")).one()
    with db.writing(engine) as write:
        write.execute(insert(Observation), [
            {"pilot_id": pilot.id, "metric_id": churn, "arm": arm, "phase": "during",
             "period": date(2027, 1, 4) + timedelta(days=day), "successes": BIG,
             "trials": BIG} for day in range(1200) for arm in ("pilot", "control")])
    with db.reading(engine) as read:
        assert data_version(read) != data_version(read, pilot.id + 1)
        data_version(read, pilot.id)
        summaries = period_summaries(read)
        assert len(summaries) == 12 + 2400
        means = summaries[summaries["metric"] == "cost-per-contact"]
        assert means["total"].abs().max() == pytest.approx(BIG * VALUE)
        assert (summaries[["n", "total"]].abs() < 1e300).all().all()


def test_the_pilot_reads_and_recommends_at_the_bounds(engine, session):
    start_pilot(session)
    load(engine, *extreme_rows("2026-01-05"), *extreme_rows("2026-01-12"))
    with db.reading(engine) as read:
        found = recommend_pilots(read, ["x-care-1h"], as_of=date(2026, 1, 19))
    assert found["x-care-1h"].outcome


@pytest.mark.parametrize(("cells", "column", "message"), [
    (f"1,{BIG + 1},,,,,", "trials", f"must be at most {BIG}, not {BIG + 1}"),
    (f",,{BIG + 1},1.5,1,,", "n", f"must be at most {BIG}, not {BIG + 1}"),
    (",,10,1000000000000.0001,1,,", "mean", f"must be at most {VALUE}, not 1000000000000.0001"),
    (",,10,-1000000000000.0001,1,,", "mean",
     f"must be at least {-VALUE}, not -1000000000000.0001"),
    (",,10,1e308,1,,", "mean", f"must be at most {VALUE}, not 1e308"),
    (",,10,1.5,1e200,,", "sd", f"must be at most {VALUE}, not 1e200"),
    (f",,,,,{BIG + 1},10", "events", f"must be at most {BIG}, not {BIG + 1}"),
    (",,,,,1,1000000000000000.2", "exposure",
     f"must be at most {BIG}, not 1000000000000000.2"),
])
def test_the_first_value_past_each_bound_is_refused_naming_line_and_column(
        engine, session, cells, column, message):
    start_pilot(session)
    metric = {"trials": "churn-90d", "events": "complaints", "exposure": "complaints"}.get(
        column, "cost-per-contact")
    good = extreme_rows("2026-01-05")
    with pytest.raises(ObservationError) as error:
        load(engine, *good, f"x-care-1h,{metric},pilot,during,2026-01-12,{cells}")
    [problem] = error.value.problems
    assert (problem.line, problem.column, problem.message) == (8, column, message)
    with db.reading(engine) as read:
        assert read.exec(select(Observation)).all() == []


def test_a_week_without_exposure_is_logged_and_adds_nothing(engine, session):
    # Issue 12 item 8: exposure 0 (then events 0) is accepted, on both import paths,
    # and the recommendation is the one without that week.
    start_pilot(session, metrics=[
        {"key": "complaints", "kind": "rate", "role": "primary", "direction": "decrease",
         "minimum_effect": 0.005, "baseline": 0.03}])
    weeks = [date(2026, 1, 5) + timedelta(weeks=week) for week in range(4)]

    def rows(empty: bool) -> list[str]:
        found = []
        for period in weeks:
            for arm, events in (("pilot", 28), ("control", 33)):
                found.append(f"x-care-1h,complaints,{arm},during,{period},,,,,,{events},1000.0")
        if empty:
            found += [f"x-care-1h,complaints,{arm},during,2026-02-02,,,,,,0,0"
                      for arm in ("pilot", "control")]
        return found

    load(engine, *rows(empty=True))
    with db.reading(engine) as read:
        with_empty = recommend_pilots(read, as_of=date(2026, 2, 9))["x-care-1h"].to_dict()
        assert len(read.exec(select(Observation)).all()) == 10
    with db.writing(engine) as write:
        write.execute(Observation.__table__.delete().where(Observation.exposure == 0))
    with db.reading(engine) as read:
        without = recommend_pilots(read, as_of=date(2026, 2, 9))["x-care-1h"].to_dict()
    primary = [m for m in with_empty["metrics"] if m["key"] == "complaints"][0]
    assert primary == [m for m in without["metrics"] if m["key"] == "complaints"][0]
    assert with_empty["outcome"] == without["outcome"]
