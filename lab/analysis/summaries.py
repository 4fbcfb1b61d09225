"""Turn CSV-shaped observations into the period-summaries frame the analysis reads.

The frame (also produced by the database layer, `lab.analysis.aggregate`) has one row
per (pilot, metric, arm, phase, period) and the columns of `COLUMNS`: ``n`` is trials,
units or exposure; ``total`` is successes, n·mean or events; ``total_sq`` is
Σ[(n−1)sd² + n·mean²] for means and NaN otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

COLUMNS = ["pilot", "metric", "arm", "phase", "period", "n", "total", "total_sq"]
KEY = ["pilot", "metric", "arm", "phase", "period"]
KIND_COLUMNS = {"proportion": ("successes", "trials"), "mean": ("n", "mean", "sd"),
                "rate": ("events", "exposure")}
ARMS = ("pilot", "control")
PHASES = ("before", "during")


class ObservationError(ValueError):
    """Observations that cannot be used; the message names the row and the column."""


def from_observations(observations, kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Validate observations and return the period-summaries frame.

    ``observations`` is a DataFrame or a list of dicts with columns ``pilot, metric,
    arm, phase, period`` and by kind ``successes, trials`` / ``n, mean, sd`` /
    ``events, exposure`` (blank columns allowed; ``phase`` defaults to ``during``).
    ``kinds`` (metric → kind), when given, fixes each metric's kind and refuses others.
    Rows are numbered from 1 as in the data (a CSV's header line is not counted).
    """
    frame = observations.copy() if isinstance(observations, pd.DataFrame) \
        else pd.DataFrame(list(observations))
    if frame.empty:
        return empty_summaries()
    frame = frame.reset_index(drop=True)
    _require_columns(frame)
    frame["phase"] = frame.get("phase", "during")
    frame["phase"] = frame["phase"].where(_filled(frame["phase"]), "during")
    for column in ("pilot", "metric", "arm", "phase"):
        frame[column] = frame[column].astype("string").str.strip()
    _check_choice(frame, "arm", ARMS)
    _check_choice(frame, "phase", PHASES)
    periods = _periods(frame)
    kind = _row_kinds(frame, kinds)
    summaries = pd.concat([_summarise(frame[kind == k], k) for k in KIND_COLUMNS
                           if (kind == k).any()])
    summaries = summaries.sort_index()
    summaries["period"] = periods.loc[summaries.index]
    for column in ("pilot", "metric", "arm", "phase"):
        summaries[column] = frame.loc[summaries.index, column].astype(str).to_numpy(object)
    _refuse_duplicates(summaries)
    return summaries[COLUMNS].reset_index(drop=True)


def empty_summaries() -> pd.DataFrame:
    """Return a period-summaries frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("n", "total", "total_sq")
                                      else object) for c in COLUMNS})


def _fail(row: int, column: str, problem: str) -> None:
    raise ObservationError(f"row {row + 1}, column '{column}': {problem}")


def _filled(series: pd.Series) -> pd.Series:
    return series.notna() & (series.astype("string").str.strip() != "")


def _require_columns(frame: pd.DataFrame) -> None:
    missing = [c for c in ("pilot", "metric", "arm", "period") if c not in frame]
    if missing:
        raise ObservationError(f"missing column(s): {', '.join(missing)}")
    for column in ("pilot", "metric", "arm", "period"):
        blank = ~_filled(frame[column])
        if blank.any():
            _fail(int(np.flatnonzero(blank)[0]), column, "is blank")


def _check_choice(frame: pd.DataFrame, column: str, allowed: tuple[str, ...]) -> None:
    bad = ~frame[column].isin(allowed)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        _fail(row, column, f"{frame[column].iloc[row]!r} is not one of {', '.join(allowed)}")


def _periods(frame: pd.DataFrame) -> pd.Series:
    values = []
    for row, value in enumerate(frame["period"]):
        if isinstance(value, dt.datetime | pd.Timestamp | np.datetime64):
            values.append(pd.Timestamp(value).date())
        elif isinstance(value, dt.date):
            values.append(value)
        else:
            try:
                values.append(dt.date.fromisoformat(str(value).strip()))
            except ValueError:
                _fail(row, "period", f"{value!r} is not an ISO date (YYYY-MM-DD)")
    return pd.Series(values, index=frame.index, dtype=object)


def _row_kinds(frame: pd.DataFrame, kinds: Mapping[str, str] | None) -> np.ndarray:
    """Return each row's kind: from ``kinds`` if given, else from its filled columns."""
    present = {k: np.column_stack([_filled(frame[c]) if c in frame else
                                   np.zeros(len(frame), bool) for c in cols]).all(1)
               for k, cols in KIND_COLUMNS.items()}
    if kinds is not None:
        unknown = ~frame["metric"].isin(list(kinds))
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            _fail(row, "metric", f"{frame['metric'].iloc[row]!r} is not a metric of this "
                                 f"pilot (expected one of {', '.join(kinds)})")
        kind = frame["metric"].map(dict(kinds)).to_numpy()
        for name, cols in KIND_COLUMNS.items():
            lacking = (kind == name) & ~present[name]
            if lacking.any():
                row = int(np.flatnonzero(lacking)[0])
                column = next(c for c in cols if c not in frame or not _filled(frame[c]).iloc[row])
                _fail(row, column, f"is blank, but metric {frame['metric'].iloc[row]!r} is a "
                                   f"{name} and needs {', '.join(cols)}")
        return kind
    count = sum(p.astype(int) for p in present.values())
    if (count != 1).any():
        row = int(np.flatnonzero(count != 1)[0])
        _fail(row, "successes/trials, n/mean/sd, events/exposure",
              "fill exactly one group of columns for the metric's kind")
    return np.select(list(present.values()), list(present), default="")


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row = bad.argmax()
        _fail(int(frame.index[row]), column, f"{frame[column].iloc[row]!r} is not a finite number")
    negative = values < 0
    if negative.any():
        row = negative.argmax()
        _fail(int(frame.index[row]), column, f"must be 0 or more, got {values[row]}")
    return values


def _summarise(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Check one kind's rows and return their (n, total, total_sq)."""
    values = {c: _numbers(rows, c) for c in KIND_COLUMNS[kind]}
    if kind == "proportion":
        _refuse(rows, values["successes"] > values["trials"], "successes",
                "exceeds trials")
        _refuse(rows, values["trials"] != np.round(values["trials"]), "trials",
                "must be a whole number")
        n, total, total_sq = values["trials"], values["successes"], np.nan
    elif kind == "mean":
        _refuse(rows, values["n"] < 1, "n", "must be at least 1")
        n, mean, sd = values["n"], values["mean"], values["sd"]
        n, total, total_sq = n, n * mean, (n - 1) * sd**2 + n * mean**2
    else:
        _refuse(rows, values["exposure"] <= 0, "exposure", "must be greater than 0")
        n, total, total_sq = values["exposure"], values["events"], np.nan
    return pd.DataFrame({"n": n, "total": total, "total_sq": total_sq}, index=rows.index)


def _refuse(rows: pd.DataFrame, bad: np.ndarray, column: str, problem: str) -> None:
    if bad.any():
        _fail(int(rows.index[bad.argmax()]), column, problem)


def _refuse_duplicates(summaries: pd.DataFrame) -> None:
    repeated = summaries.duplicated(KEY, keep="first")
    if repeated.any():
        row = int(summaries.index[repeated.to_numpy().argmax()])
        _fail(row, "period", "repeats an earlier row's pilot, metric, arm, phase and period")
