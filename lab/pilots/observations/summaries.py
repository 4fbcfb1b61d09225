"""The period-summaries frame: what the analysis reads, from the database or from rows.

One row per (pilot, metric, arm, phase, period) with `COLUMNS`: ``n`` is trials, units
or exposure; ``total`` is successes, n·mean or events; ``total_sq`` is the sum of
squared deviations about the row's own mean, (n−1)sd², for means and NaN otherwise
(never the raw Σx²: at a mean of 10⁸ that rounds the variance away; a proportion's or
a rate's variance follows from n and total). It comes from two places:

- `period_summaries` computes it in the database (never raw rows in Python). The
  observation's natural key is unique, so each row already is its period's total: the
  query converts each row to its sufficient statistics and nothing needs summing.
  Pilots and metrics travel as ids and are named afterwards from two small lookups,
  which keeps the rows that cross into Python as small as they can be.
- `lab.pilots.observations.given.from_observations` validates CSV-shaped rows (a
  DataFrame or dicts, as notebooks and `lab.check` pass them) and converts them the
  same way.

Why the cumulative sums per look are not taken in SQL as well (a window, SUM() OVER
(PARTITION BY pilot, metric, arm, phase ORDER BY period)): it would not make the rows
fewer, since the looks need each period (diff-in-diff and baseline read every period;
a holdout's look pairs the arms period by period), so memory is no flatter; on SQLite
the window took twice the CPU of this query (0.80 s against 0.38 s for 1,000 pilots of
156 rows); and its sums would not be bit for bit those the engine takes in memory
(the engine's cumulative sums are compensated, `lab.stats.moments.grouped_cumsum`),
so an answer computed from the database could differ in its last digits from
`lab.check` on the same rows. Memory is bounded by
the batch instead: `lab.portfolio.stored.refresh` reads BATCH pilots at a time, one row
per pilot, metric, arm, phase and period, i.e. pilots × looks × metrics × arms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Float, String, case, cast, null, select
from sqlmodel import Session, col

from lab.models import Metric, Observation, Pilot
from lab.vocabulary import Kind

# scope: the comparison scope of a comparison-scopes pilot's control row, else "".
COLUMNS = ["pilot", "metric", "arm", "phase", "period", "n", "total", "total_sq", "scope"]
KEY = ["pilot", "metric", "arm", "phase", "period"]


def empty_summaries() -> pd.DataFrame:
    """Return a period-summaries frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("n", "total", "total_sq")
                                      else object) for c in COLUMNS})


def _by_kind(proportion, mean, rate):
    """Pick an SQL expression by the metric's kind."""
    return case((Metric.kind == str(Kind.proportion), proportion),
                (Metric.kind == str(Kind.mean), mean), else_=rate)


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
                    _by_kind(null(), (n - 1) * sd * sd, null()),
                    col(o.scope))
             .join(Metric, col(Metric.id) == o.metric_id)
             .order_by(*keys, col(o.period), col(o.scope)))
    if pilot_ids is not None:
        query = query.where(col(o.pilot_id).in_(list(pilot_ids)))
    return query


def period_summaries(session: Session, pilot_keys: list[str] | None = None) -> pd.DataFrame:
    """Return n, total and total_sq per pilot, metric, arm, phase and period."""
    return summary_rows(session, pilot_keys).frame()


@dataclass(frozen=True)
class SummaryRows:
    """The summary query's rows as read, with the pilot and metric names they need.

    Read and framed apart: a refresh reads them in its transaction and may frame them in
    a forked worker (`lab.portfolio.stored`).
    """

    rows: list[tuple]
    pilots: dict[int, str]
    metrics: dict[int, str]

    def frame(self) -> pd.DataFrame:
        """Return the period-summaries frame of these rows."""
        return _frame(self.rows, self.pilots, self.metrics)


def summary_rows(session: Session, pilot_keys: list[str] | None = None) -> SummaryRows:
    """Read the period summaries of these pilots (default: all), not yet a frame."""
    named = select(Pilot.id, Pilot.key)
    if pilot_keys is not None:
        named = named.where(col(Pilot.key).in_(list(pilot_keys)))
    # The connection, not the ORM session: plain rows. Only these pilots' metrics: a
    # one-row write refreshes one pilot, and naming every metric of a ten-thousand-pilot
    # lab for it took half its time.
    connection = session.connection()
    pilots = dict(connection.execute(named).all())
    metric_names = select(Metric.id, Metric.key)
    if pilot_keys is not None:
        metric_names = metric_names.where(col(Metric.pilot_id).in_(list(pilots)))
    metrics = dict(connection.execute(metric_names).all())
    result = connection.execute(summary_query(None if pilot_keys is None else list(pilots)))
    # The DB-API cursor's plain tuples: SQLAlchemy's Row objects would double the time.
    rows = result.cursor.fetchall()
    result.close()
    return SummaryRows(rows, pilots, metrics)


def _frame(rows: list[tuple], pilots: dict[int, str], metrics: dict[int, str]) -> pd.DataFrame:
    """Turn the query's rows into the frame, column by column.

    Each text column is built from its few distinct values (pilot and metric names from
    the two lookups, arm, phase, scope and period texts factorized), so pandas converts
    or parses a handful of values rather than a million cells.
    """
    table = np.array(rows, dtype=object).reshape(len(rows), len(COLUMNS))
    codes, texts = pd.factorize(table[:, 4])
    periods = pd.to_datetime(pd.Series(texts, dtype=object), format="%Y-%m-%d").array
    numbers = table[:, 5:8].astype(np.float64)
    return pd.DataFrame({
        "pilot": _taken(_names(pilots), table[:, 0].astype(np.int64)),
        "metric": _taken(_names(metrics), table[:, 1].astype(np.int64)),
        "arm": _taken(*_coded(table[:, 2])), "phase": _taken(*_coded(table[:, 3])),
        "period": periods.take(codes), "n": numbers[:, 0], "total": numbers[:, 1],
        "total_sq": numbers[:, 2], "scope": _taken(*_coded(table[:, 8]))})


def _coded(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return a column's distinct values and the codes that index them."""
    codes, uniques = pd.factorize(cells)
    return np.asarray(uniques, dtype=object), codes


def _taken(values: np.ndarray, codes: np.ndarray):
    """Return values[codes] as the column pandas would make of it, converting only the
    few distinct values (turning a million cells into strings one by one is slow)."""
    if not len(codes):
        return values[:0]
    return pd.Series(values).array.take(codes)


def _names(names: dict[int, str]) -> np.ndarray:
    """Return the names indexed by id (ids are small positive integers)."""
    table = np.empty(max(names, default=0) + 1, dtype=object)
    for id_, name in names.items():
        table[id_] = name
    return table
