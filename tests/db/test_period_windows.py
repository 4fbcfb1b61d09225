"""Observation dates lie in the plan's window for their phase (issue 10 item 5).

One row dated 2300-01-02 once flipped a pilot's recommendation, and years 0001 and
9999 broke the chart and the portfolio report. During-periods lie between the start
and the end give or take a week; before-periods in the two years before the start.
A row outside is refused by line, and nothing of the import is written.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlmodel import select

from lab import db
from lab.models import Observation
from lab.pilots.observations import ObservationError, import_csv
from lab.pilots.observations.targets import BEFORE_WINDOW, DURING_GRACE
from tests.factories import ACTOR, start_pilot

HEADER = "pilot,metric,arm,phase,period,successes,trials,n,mean,sd,events,exposure"
START, END = date(2026, 1, 5), date(2026, 3, 29)  # the factories' plan
DAY = timedelta(days=1)


def row(period: date | str, phase: str = "during", arm: str = "pilot",
        pilot: str = "x-care-1h") -> str:
    return f"{pilot},churn-90d,{arm},{phase},{period},40,400,,,,,"


def load(engine, *rows: str):
    return import_csv(engine, source=io.StringIO("\n".join((HEADER, *rows)) + "\n"),
                      actor=ACTOR)


def refused(engine, *rows: str) -> list[tuple[int, str, str]]:
    with pytest.raises(ObservationError) as error:
        load(engine, *rows)
    with db.reading(engine) as session:
        assert session.exec(select(Observation)).all() == []
    return [(p.line, p.column, p.message) for p in error.value.problems]


@pytest.fixture
def did(session):
    return start_pilot(session, pilot={"design": "diff-in-diff"})


def test_a_far_future_during_row_is_refused_by_line(engine, did):
    assert refused(engine, row(START), row("2300-01-02"), row(START, arm="control")) == [
        (3, "period", "2300-01-02 is after the pilot's end 2026-03-29: during-periods lie "
                      "from 2025-12-29 to 2026-04-05 (start to end, give or take 7 days)")]


@pytest.mark.parametrize("period", ["0001-01-01", "9999-12-31"])
def test_the_ends_of_the_calendar_are_refused(engine, did, period):
    [(line, column, _)] = refused(engine, row(period))
    assert (line, column) == (2, "period")


def test_each_window_is_accepted_to_its_edges(engine, did):
    edges = [row(START - DURING_GRACE), row(END + DURING_GRACE),
             row(START - BEFORE_WINDOW, "before"), row(START - DAY, "before")]
    assert load(engine, *edges).inserted == 4


@pytest.mark.parametrize(("period", "phase", "message"), [
    (START - DURING_GRACE - DAY, "during", "2025-12-28 is before the pilot's start 2026-01-05"),
    (END + DURING_GRACE + DAY, "during", "2026-04-06 is after the pilot's end 2026-03-29"),
    (START, "before", "2026-01-05 is on or after the pilot's start 2026-01-05: "
                      "before-periods lie from 2024-01-08 to 2026-01-04"),
    (START - BEFORE_WINDOW - DAY, "before",
     "2024-01-07 is more than 104 weeks before the start 2026-01-05"),
])
def test_the_first_day_past_each_edge_is_refused(engine, did, period, phase, message):
    [(line, column, said)] = refused(engine, row(START), row(period, phase))
    assert (line, column) == (3, "period")
    assert said.startswith(message)


def test_a_period_accepted_in_one_window_is_checked_again_in_another(engine, did, session):
    # The fast path remembers accepted periods: per pilot and phase, never across them.
    start_pilot(session, key="later", pilot={"channel": "email", "start": "2026-06-01",
                                             "end": "2026-08-30"})
    problems = refused(engine, row(START), row(START, arm="control"),
                       row(START, "before"), row(START, pilot="later"))
    assert [(line, column) for line, column, _ in problems] == [(4, "period"), (5, "period")]



def test_lab_check_holds_rows_to_the_same_windows():
    from lab.analysis.pipeline import check  # noqa: PLC0415
    from tests.factories import make_spec  # noqa: PLC0415

    rows = [{"pilot": "x-care-1h", "metric": "churn-90d", "arm": arm, "period": period,
             "successes": 40, "trials": 400}
            for period in ("2026-01-05", "2300-01-02") for arm in ("pilot", "control")]
    with pytest.raises(ObservationError) as error:
        check(make_spec(), rows)
    [problem] = error.value.problems
    assert (problem.line, problem.column) == (3, "period")
    assert problem.message.startswith("2300-01-02 is after the pilot's end 2026-03-29")
