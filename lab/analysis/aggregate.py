"""Per-period sufficient statistics, aggregated in the database (never raw rows in Python).

For each pilot, metric, arm, phase and period: `n`, `total` and `total_sq`, so that
the period's value is total / n and, for means, its variance follows from total_sq:

- proportion: n = trials, total = successes;
- mean: n = n, total = n * mean, total_sq = (n - 1) * sd^2 + n * mean^2;
- rate: n = exposure, total = events.

total_sq is NaN for proportions and rates, as in lab.stats.summaries: their variance
follows from n and total.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Float, String, case, cast, func, null, select
from sqlmodel import Session, col

from lab.models import Metric, Observation, Pilot

COLUMNS = ["pilot", "metric", "arm", "phase", "period", "n", "total", "total_sq"]


def _by_kind(proportion, mean, rate):
    """Pick an SQL expression by the metric's kind."""
    return case((Metric.kind == "proportion", proportion), (Metric.kind == "mean", mean),
                else_=rate)


def summary_query(pilot_keys: list[str] | None = None):
    """Return the GROUP BY query behind period_summaries (the benchmark times it).

    It groups by the natural key's columns, in the order of the unique index, so the
    database can aggregate while scanning the index, and names pilots and metrics after.
    """
    o = Observation
    n, mean, sd = cast(o.n, Float), col(o.mean), col(o.sd)
    sums = (
        _by_kind(cast(o.trials, Float), n, col(o.exposure)),
        _by_kind(cast(o.successes, Float), n * mean, cast(o.events, Float)),
        _by_kind(null(), (n - 1) * sd * sd + n * mean * mean, null()),
    )
    keys = (col(o.pilot_id), col(o.metric_id), col(o.arm), col(o.phase), col(o.period))
    grouped = (select(*keys, *(func.sum(value).label(name) for value, name
                               in zip(sums, ("n", "total", "total_sq"), strict=True)))
               .join(Metric, col(Metric.id) == o.metric_id)
               .group_by(*keys))
    if pilot_keys is not None:
        wanted = select(Pilot.id).where(col(Pilot.key).in_(list(pilot_keys)))
        grouped = grouped.where(col(o.pilot_id).in_(wanted))
    grouped = grouped.subquery()
    names = (col(Pilot.key), col(Metric.key))
    # The period as ISO text: pandas parses a column of text far faster than it
    # converts date objects one by one.
    return (select(*names, grouped.c.arm, grouped.c.phase, cast(grouped.c.period, String),
                   grouped.c.n, grouped.c.total, grouped.c.total_sq)
            .join(Pilot, col(Pilot.id) == grouped.c.pilot_id)
            .join(Metric, col(Metric.id) == grouped.c.metric_id)
            .order_by(*names, grouped.c.arm, grouped.c.phase, grouped.c.period))


def period_summaries(session: Session, pilot_keys: list[str] | None = None) -> pd.DataFrame:
    """Return n, total and total_sq per pilot, metric, arm, phase and period."""
    rows = session.execute(summary_query(pilot_keys)).all()
    # Plain tuples: pandas builds a frame from them several times faster than from Rows.
    frame = pd.DataFrame.from_records(list(map(tuple, rows)), columns=COLUMNS)
    frame["period"] = pd.to_datetime(frame["period"], format="%Y-%m-%d")
    for name in ("n", "total", "total_sq"):
        frame[name] = frame[name].astype("float64")
    return frame
