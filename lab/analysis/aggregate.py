"""Per-period sufficient statistics, computed in the database (never raw rows in Python).

For each pilot, metric, arm, phase and period: `n`, `total` and `total_sq`, so that
the period's value is total / n and, for means, its variance follows from total_sq:

- proportion: n = trials, total = successes;
- mean: n = n, total = n * mean, total_sq = (n - 1) * sd^2 + n * mean^2;
- rate: n = exposure, total = events.

total_sq is NaN for proportions and rates, as in lab.stats.summaries: their variance
follows from n and total.

The observation's natural key (pilot, metric, arm, phase, period) is unique in the
database, so each row already is its period's total: the query converts each row to
its sufficient statistics and nothing needs summing. Pilots and metrics travel as ids
and are named afterwards from two small lookups, which keeps the rows that cross into
Python as small as they can be (that transfer is most of this function's time).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Float, String, case, cast, null, select
from sqlmodel import Session, col

from lab.models import Metric, Observation, Pilot

COLUMNS = ["pilot", "metric", "arm", "phase", "period", "n", "total", "total_sq"]


def _by_kind(proportion, mean, rate):
    """Pick an SQL expression by the metric's kind."""
    return case((Metric.kind == "proportion", proportion), (Metric.kind == "mean", mean),
                else_=rate)


def summary_query(pilot_ids: list[int] | None = None):
    """Return the query behind period_summaries (the benchmark times it).

    Rows come in the order of the natural key's unique index, so SQLite reads them
    straight off it without sorting.
    """
    o = Observation
    n, mean, sd = cast(o.n, Float), col(o.mean), col(o.sd)
    keys = (col(o.pilot_id), col(o.metric_id), col(o.arm), col(o.phase))
    query = (select(*keys,
                    # ISO text: pandas parses a column of text far faster than it
                    # converts date objects one by one.
                    cast(o.period, String),
                    _by_kind(cast(o.trials, Float), n, col(o.exposure)),
                    _by_kind(cast(o.successes, Float), n * mean, cast(o.events, Float)),
                    _by_kind(null(), (n - 1) * sd * sd + n * mean * mean, null()))
             .join(Metric, col(Metric.id) == o.metric_id)
             .order_by(*keys, col(o.period)))
    if pilot_ids is not None:
        query = query.where(col(o.pilot_id).in_(list(pilot_ids)))
    return query


def period_summaries(session: Session, pilot_keys: list[str] | None = None) -> pd.DataFrame:
    """Return n, total and total_sq per pilot, metric, arm, phase and period."""
    named = select(Pilot.id, Pilot.key)
    if pilot_keys is not None:
        named = named.where(col(Pilot.key).in_(list(pilot_keys)))
    pilots = dict(session.execute(named).all())
    metrics = dict(session.execute(select(Metric.id, Metric.key)).all())
    result = session.connection().execute(
        summary_query(None if pilot_keys is None else list(pilots)))
    # The DB-API cursor's plain tuples: SQLAlchemy's Row objects would double the time.
    rows = result.cursor.fetchall()
    result.close()
    frame = pd.DataFrame.from_records(rows, columns=["pilot_id", "metric_id", *COLUMNS[2:]])
    frame.insert(0, "pilot", _names(pilots, frame.pop("pilot_id")))
    frame.insert(1, "metric", _names(metrics, frame.pop("metric_id")))
    frame["period"] = pd.to_datetime(frame["period"], format="%Y-%m-%d")
    for name in ("n", "total", "total_sq"):
        frame[name] = frame[name].astype("float64")
    return frame


def _names(names: dict[int, str], ids: pd.Series) -> np.ndarray:
    """Return the name of each id, by array lookup (ids are small positive integers)."""
    table = np.empty(max(names, default=0) + 1, dtype=object)
    for id_, name in names.items():
        table[id_] = name
    return table[ids.to_numpy(dtype=np.int64)] if len(ids) else np.empty(0, dtype=object)
