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
- `Taken` keeps them as an import's columnar path (bulk.py) writes the rows, so that
  the refresh after a large import need not read back what it just wrote; the same
  doubles in the query's order.

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
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Float, String, case, cast, null, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from lab.models import Metric, Observation, Pilot
from lab.vocabulary import Arm, Kind, Phase, values

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


def summary_rows(session: Session, pilot_keys: list[str] | None = None,
                 taken: Taken | None = None) -> SummaryRows | SummaryColumns:
    """Read the period summaries of these pilots (default: all), not yet a frame.

    `taken`, where it holds every row of these pilots (an import that wrote all their
    rows), gives them instead of the query: the same rows, in the same order.
    """
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
    if taken is not None and pilots and taken.covers(pilots):
        return taken.rows(pilots, metrics)
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
    return _framed(pilots, metrics, table[:, 0].astype(np.int64), table[:, 1].astype(np.int64),
                   _coded(table[:, 2]), _coded(table[:, 3]), (np.asarray(texts, object), codes),
                   table[:, 5:8].astype(np.float64), _coded(table[:, 8]))


def _framed(pilots: dict[int, str], metrics: dict[int, str], pilot_ids: np.ndarray,
            metric_ids: np.ndarray, arms: tuple, phases: tuple, periods: tuple,
            numbers: np.ndarray, scopes: tuple) -> pd.DataFrame:
    """Build the frame from id columns and coded text columns, each (distinct, codes)."""
    texts, codes = periods
    days = pd.to_datetime(pd.Series(texts, dtype=object), format="%Y-%m-%d").array
    return pd.DataFrame({
        "pilot": _taken(_names(pilots), pilot_ids), "metric": _taken(_names(metrics), metric_ids),
        "arm": _taken(*arms), "phase": _taken(*phases),
        "period": days.take(codes), "n": numbers[:, 0], "total": numbers[:, 1],
        "total_sq": numbers[:, 2], "scope": _taken(*scopes)})


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


# The text keys' distinct values in the order SQL sorts them (lower-case ASCII words:
# every collation agrees), so an arm or phase travels as its index here.
ARM_ORDER, PHASE_ORDER = sorted(values(Arm)), sorted(values(Phase))
TAKEN_COLUMNS = ("pilot", "metric", "arm", "phase", "day", "n", "total", "total_sq")


@dataclass(frozen=True)
class SummaryColumns:
    """Summary rows as columns, in the query's order: what `Taken` gives a refresh."""

    columns: dict[str, np.ndarray]  # TAKEN_COLUMNS
    pilots: dict[int, str]
    metrics: dict[int, str]

    def frame(self) -> pd.DataFrame:
        """Return the period-summaries frame of these rows, as _frame makes it."""
        c = self.columns
        days, day_codes = np.unique(c["day"], return_inverse=True)
        texts = np.array([date.fromordinal(day).isoformat() for day in days.tolist()], object)
        count = len(c["day"])
        return _framed(self.pilots, self.metrics, c["pilot"], c["metric"],
                       (np.array(ARM_ORDER, object), c["arm"]),
                       (np.array(PHASE_ORDER, object), c["phase"]), (texts, day_codes),
                       np.column_stack([c["n"], c["total"], c["total_sq"]]),
                       (np.array([""], object), np.zeros(count, np.int64)))


class Taken:
    """The summary rows of the pilots an import wrote, taken from its rows as they went in.

    A refresh after a large import read back every row it had just written (a million
    rows: 2 s, a Python object per cell). The import's columnar path (bulk.py) already
    holds each block as arrays, so it adds the block's summary columns here: the same
    values the query computes, by the same floating-point operations in the same order
    (n·mean, (n−1)·sd·sd), so the same doubles. A pilot is covered only if it had no
    row before the import (checked at its first sight, before any of its rows went in)
    and every row the import wrote went in through here; a file read row by row, a row
    already stored, or a correction spoils the whole import (then everything is read
    back as before). Some 46 bytes a row.
    """

    def __init__(self, connection: Connection):
        self.connection = connection
        self.parts: list[dict[str, np.ndarray]] = []
        self.fresh: set[int] = set()
        self.seen: set[int] = set()
        self.spoiled = False

    def first_sight(self, pilot_ids: list[int]) -> None:
        """Note which of these pilots, met for the first time, have no stored row yet."""
        for pilot_id in pilot_ids:
            if pilot_id in self.seen:
                continue
            self.seen.add(pilot_id)
            stored = self.connection.exec_driver_sql(
                "SELECT 1 FROM observation WHERE pilot_id = " + str(int(pilot_id)) +
                " LIMIT 1").first()
            if stored is None:
                self.fresh.add(pilot_id)

    def add(self, part: dict[str, np.ndarray]) -> None:
        """Keep one block's summary columns (TAKEN_COLUMNS)."""
        self.parts.append(part)

    def spoil(self) -> None:
        """Give up: some row went in another way (the refresh reads them all back)."""
        self.spoiled, self.parts = True, []

    def covers(self, pilots: dict[int, str]) -> bool:
        """Tell whether every row of these pilots is here."""
        return not self.spoiled and self.fresh.issuperset(pilots)

    def rows(self, pilots: dict[int, str], metrics: dict[int, str]) -> SummaryColumns:
        """Return these pilots' rows in the query's order (pilot, metric, arm, phase, period)."""
        wanted = np.array(sorted(pilots), np.int64)
        picked = [{name: part[name][np.isin(part["pilot"], wanted)] for name in TAKEN_COLUMNS}
                  for part in self.parts]
        columns = {name: np.concatenate([part[name] for part in picked])
                   if picked else np.zeros(0) for name in TAKEN_COLUMNS}
        order = np.lexsort([columns[name] for name in ("day", "phase", "arm", "metric",
                                                        "pilot")])
        return SummaryColumns({name: values[order] for name, values in columns.items()},
                              pilots, metrics)
