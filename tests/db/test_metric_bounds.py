"""Negative means are analysed; a mean metric may declare its own bounds (issue 12 item 2).

A profit or a balance change can fall: any finite mean within the kinds' bounds is
accepted and analysed. A metric that has bounds (a 0-10 score) declares `least` and
`most` in its plan; the import (both paths) and `lab.check` refuse a mean outside.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlmodel import select

from lab import db
from lab.analysis.pipeline import check, recommend_pilots
from lab.models import Observation
from lab.pilots.observations import ObservationError, import_csv
from lab.pilots.plans import PreregistrationError, parse
from tests.factories import ACTOR, SPEC, make_spec, start_pilot

HEADER = "pilot,metric,arm,phase,period,successes,trials,n,mean,sd,events,exposure"
SCORE = {"key": "satisfaction", "kind": "mean", "role": "secondary", "direction": "increase",
         "least": 0, "most": 10}
BALANCE = {"key": "balance-change", "kind": "mean", "role": "primary",
           "direction": "increase", "minimum_effect": 5.0}
METRICS = [BALANCE, SCORE]


def score_row(arm: str, period: str, mean: float) -> str:
    return f"x-care-1h,satisfaction,{arm},during,{period},,,200,{mean},1.5,,"


def test_a_mean_outside_the_declared_bounds_is_refused_on_either_path(engine, session):
    start_pilot(session, metrics=METRICS)
    rows = [score_row("pilot", "2026-01-05", 7.5),      # opens the fast path
            score_row("control", "2026-01-05", 10.5),   # the fast path refuses, then says why
            score_row("pilot", "2026-01-12", -0.5)]
    with pytest.raises(ObservationError) as error:
        import_csv(engine, source=io.StringIO("\n".join([HEADER, *rows]) + "\n"), actor=ACTOR)
    declares = "metric 'satisfaction' declares means from 0 to 10"
    assert [(p.line, p.column, p.message) for p in error.value.problems] == [
        (3, "mean", f"must be at most 10 ({declares}), not 10.5"),
        (4, "mean", f"must be at least 0 ({declares}), not -0.5")]
    with db.reading(engine) as read:
        assert read.exec(select(Observation)).all() == []
    edges = [score_row("pilot", "2026-01-05", 0.0), score_row("control", "2026-01-05", 10.0)]
    assert import_csv(engine, source=io.StringIO("\n".join([HEADER, *edges]) + "\n"),
                      actor=ACTOR).inserted == 2


def test_lab_check_holds_rows_to_the_same_bounds():
    spec = make_spec(metrics=METRICS)
    row = {"pilot": "x-care-1h", "metric": "satisfaction", "arm": "pilot",
           "period": "2026-01-05", "n": 200, "mean": 11.0, "sd": 1.0}
    with pytest.raises(ObservationError, match="must be at most 10 .* not 11"):
        check(spec, [row])


def test_negative_means_are_analysed_to_a_decision(engine, session):
    start_pilot(session, metrics=[BALANCE])
    rows = [f"x-care-1h,balance-change,{arm},during,"
            f"{dt.date(2026, 1, 5) + dt.timedelta(weeks=week)},,,2000,{mean},40,,"
            for week in range(12) for arm, mean in (("pilot", -12.0), ("control", -30.0))]
    import_csv(engine, source=io.StringIO("\n".join([HEADER, *rows]) + "\n"), actor=ACTOR)
    with db.reading(engine) as read:
        found = recommend_pilots(read, as_of=dt.date(2026, 3, 29))["x-care-1h"].to_dict()
    primary = next(m for m in found["metrics"] if m["key"] == "balance-change")
    assert primary["estimate"] == pytest.approx(18.0)
    assert found["outcome"] == "scale_up"


@pytest.mark.parametrize(("metric", "reason"), [
    ({**SCORE, "kind": "proportion"}, "least and most apply to mean metrics only"),
    ({**SCORE, "least": 10}, "least (10) must be below most (10)"),
    ({**SCORE, "baseline": 12}, "baseline = 12 lies outside the metric's bounds"),
    ({**SCORE, "most": 1e13}, "most = 1e+13 lies beyond what a mean may be"),
    ({**SCORE, "most": "1_0"}, "must be a plain number"),
])
def test_declared_bounds_must_make_sense(metric, reason):
    with pytest.raises(PreregistrationError, match=reason.replace("(", r"\(")
                       .replace(")", r"\)").replace("+", r"\+")):
        parse(make_spec(metrics=[SPEC["metrics"][0], metric]))
