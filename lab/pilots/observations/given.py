"""Period summaries of observations given in memory, checked as the import checks them.

`from_observations` takes CSV-shaped rows (a DataFrame or dicts, as notebooks and
`lab.check` pass them), refuses what the import would refuse (naming the row and the
column), and returns the frame `lab.pilots.observations.summaries` describes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from lab.kinds import KIND_VALUES, VALUE_COLUMNS, ValueColumn, outside_declared, plain_numeral
from lab.pilots.observations.problems import ObservationError, Problem
from lab.pilots.observations.summaries import COLUMNS, KEY, empty_summaries
from lab.pilots.observations.targets import outside_window
from lab.vocabulary import Arm, Kind, Phase, values

ARMS, PHASES = tuple(values(Arm)), tuple(values(Phase))


def from_observations(observations, kinds: Mapping[tuple[str, str], str] | None = None,
                      bounds: Mapping[tuple[str, str], tuple] | None = None,
                      windows: Mapping[str, tuple[dt.date, dt.date]] | None = None,
                      scopes: Mapping[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Validate observations and return the period-summaries frame.

    ``observations`` is a DataFrame or a list of dicts with columns ``pilot, metric,
    arm, phase, period`` and by kind ``successes, trials`` / ``n, mean, sd`` /
    ``events, exposure`` (blank columns allowed; ``phase`` defaults to ``during``).
    ``kinds`` ((pilot, metric) → kind), when given, fixes each metric's kind from its
    plan and refuses rows of other pilots or metrics. ``bounds`` ((pilot, metric) →
    (least, most)) holds a mean metric's rows to the bounds its plan declares, and
    ``windows`` (pilot → (start, end)) each row's period to its plan's window, as the
    import does. An optional ``scope`` column names the comparison scope of each control
    row of a comparison-scopes pilot; ``scopes`` (pilot → its comparison scopes), when
    given, refuses a scope elsewhere or unknown. The frame then has a ``scope`` column
    too ("" where blank).
    Rows are numbered from 1 as in the data (a CSV's header line is not counted).
    """
    frame = observations.copy() if isinstance(observations, pd.DataFrame) \
        else pd.DataFrame(list(observations))
    if frame.empty:
        return empty_summaries()
    frame = frame.reset_index(drop=True)
    _require_columns(frame)
    frame["phase"] = frame.get("phase", str(Phase.during))
    frame["phase"] = frame["phase"].where(_filled(frame["phase"]), str(Phase.during))
    for column in ("pilot", "metric", "arm", "phase"):
        frame[column] = frame[column].astype("string").str.strip()
    _check_choice(frame, "arm", ARMS)
    _check_choice(frame, "phase", PHASES)
    scope = _scopes(frame, scopes)
    periods = _periods(frame)
    _refuse_outside_windows(frame, periods, windows or {})
    kind = _row_kinds(frame, kinds)
    summaries = pd.concat([_summarise(frame[kind == k], k) for k in KIND_VALUES
                           if (kind == k).any()])
    summaries = summaries.sort_index()
    _refuse_outside_declared(frame, kind, bounds or {})
    summaries["period"] = periods.loc[summaries.index]
    for column in ("pilot", "metric", "arm", "phase"):
        summaries[column] = frame.loc[summaries.index, column].astype(str).to_numpy(object)
    summaries["scope"] = scope.loc[summaries.index].to_numpy(object)
    _refuse_duplicates(summaries)
    return summaries[COLUMNS].reset_index(drop=True)


def _fail(row: int, column: str, problem: str) -> None:
    error = ObservationError("observations", [Problem(row + 1, column, problem)])
    # Rows of a frame count from 1, with no header line: say "row", not "line".
    error.args = (f"row {row + 1}, column '{column}': {problem}",)
    raise error


def _filled(series: pd.Series) -> pd.Series:
    return series.notna() & (series.astype("string").str.strip() != "")


def _require_columns(frame: pd.DataFrame) -> None:
    missing = [c for c in ("pilot", "metric", "arm", "period") if c not in frame]
    if missing:
        raise ObservationError("observations", [Problem(0, name, "column missing")
                                                for name in missing])
    for column in ("pilot", "metric", "arm", "period"):
        blank = ~_filled(frame[column])
        if blank.any():
            _fail(int(np.flatnonzero(blank)[0]), column, "is blank")


def _check_choice(frame: pd.DataFrame, column: str, allowed: tuple[str, ...]) -> None:
    bad = ~frame[column].isin(allowed)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        _fail(row, column, f"{frame[column].iloc[row]!r} is not one of {', '.join(allowed)}")


def _scopes(frame: pd.DataFrame, scopes: Mapping[str, tuple[str, ...]] | None) -> pd.Series:
    """Return each row's scope ("" if blank), refusing one the plans do not allow."""
    found = (frame["scope"].where(_filled(frame["scope"]), "").astype(str).str.strip()
             if "scope" in frame else pd.Series("", index=frame.index))
    if scopes is None:
        return found
    scoped = frame["pilot"].isin(list(scopes)).to_numpy()
    pairs = pd.MultiIndex.from_arrays([frame["pilot"].astype(object), found.astype(object)])
    known = pairs.isin([(pilot, scope) for pilot, names in scopes.items() for scope in names])
    arm, named = frame["arm"].to_numpy(object), (found != "").to_numpy()
    checks = [(~scoped & named, lambda pilot, scope: f"pilot {pilot!r} has no comparison "
                                                      "scopes: leave it blank"),
              (scoped & (arm == str(Arm.pilot)) & named,
               lambda pilot, scope: "a pilot row is the pilot's own scope: leave it blank"),
              (scoped & (arm == str(Arm.control)) & ~known,
               lambda pilot, scope: f"{f'{scope!r} is not' if scope else 'blank, but must name'}"
                                    f" one of pilot {pilot!r}'s comparison scopes "
                                    f"({', '.join(scopes[pilot])})")]
    bad = [(int(np.flatnonzero(mask)[0]), say) for mask, say in checks if mask.any()]
    if bad:
        row, say = min(bad, key=lambda item: item[0])
        _fail(row, "scope", say(frame["pilot"].iloc[row], found.iloc[row]))
    return found


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


def _refuse_outside_windows(frame: pd.DataFrame, periods: pd.Series,
                            windows: Mapping[str, tuple[dt.date, dt.date]]) -> None:
    """Refuse the first row whose period lies outside its plan's window for its phase."""
    if not windows:
        return
    seen: dict[tuple, str | None] = {}
    for row, key in enumerate(zip(frame["pilot"], frame["phase"], periods, strict=True)):
        if key not in seen:
            plan = windows.get(key[0])
            seen[key] = None if plan is None else outside_window(key[1], key[2], *plan)
        if seen[key]:
            _fail(int(frame.index[row]), "period", seen[key])


def _row_kinds(frame: pd.DataFrame,
               kinds: Mapping[tuple[str, str], str] | None) -> np.ndarray:
    """Return each row's kind: from ``kinds`` if given, else from its filled columns."""
    present = {k: np.column_stack([_filled(frame[c]) if c in frame else
                                   np.zeros(len(frame), bool) for c in cols]).all(1)
               for k, cols in VALUE_COLUMNS.items()}
    if kinds is not None:
        pairs = pd.MultiIndex.from_frame(frame[["pilot", "metric"]].astype(object))
        kind = np.array([kinds.get(pair) for pair in pairs], dtype=object)
        if (kind == None).any():  # noqa: E711 (elementwise)
            _unknown_metric(frame, int(np.flatnonzero(kind == None)[0]), kinds)  # noqa: E711
        for name, cols in VALUE_COLUMNS.items():
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


def _unknown_metric(frame: pd.DataFrame, row: int,
                    kinds: Mapping[tuple[str, str], str]) -> None:
    """Refuse a row whose pilot has no plan here, or whose metric is not in its plan."""
    pilot, metric = frame["pilot"].iloc[row], frame["metric"].iloc[row]
    known = [m for p, m in kinds if p == pilot]
    if not known:
        _fail(row, "pilot", f"{pilot!r} is not one of the pilots checked "
                            f"({', '.join(sorted({p for p, _ in kinds}))})")
    _fail(row, "metric", f"{metric!r} is not a metric of pilot {pilot!r} "
                         f"(expected one of {', '.join(known)})")


def _numbers(rows: pd.DataFrame, column: ValueColumn) -> np.ndarray:
    """Return a column's numbers, refusing the first that its kind does not allow."""
    cells = rows[column.name]
    numbers = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
    bad = ~((numbers >= column.lowest) & (numbers <= column.highest))
    if column.whole:
        bad |= numbers != np.floor(numbers)
    if bad.any():
        row = int(bad.argmax())
        cell = cells.iloc[row]
        _fail(int(rows.index[row]), column.name, column.problem(numbers[row], cell)
              if _readable(cell) else column.unreadable(cell))
    return numbers


def _readable(cell) -> bool:
    """Tell whether a cell is a number, or text that reads as one (as the import reads it)."""
    if isinstance(cell, str) and not plain_numeral(cell):
        return False
    try:
        float(cell)
    except (TypeError, ValueError):
        return False
    return True


def _summarise(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Check one kind's rows and return their (n, total, total_sq)."""
    columns = KIND_VALUES[kind]
    values = {column.name: _numbers(rows, column) for column in columns}
    for column in columns:
        if column.at_most is not None:
            _exceeding(rows, column, values[column.name], values[column.at_most])
        if column.nothing_without is not None:
            _without(rows, column, values[column.name], values[column.nothing_without])
    if kind == Kind.proportion:
        n, total, total_sq = values["trials"], values["successes"], np.nan
    elif kind == Kind.mean:
        n, mean, sd = values["n"], values["mean"], values["sd"]
        n, total, total_sq = n, n * mean, (n - 1) * sd**2
    else:
        n, total, total_sq = values["exposure"], values["events"], np.nan
    return pd.DataFrame({"n": n, "total": total, "total_sq": total_sq}, index=rows.index)


def _exceeding(rows: pd.DataFrame, column: ValueColumn, numbers: np.ndarray,
               limits: np.ndarray) -> None:
    """Refuse the first row whose value exceeds the column it may not exceed."""
    bad = numbers > limits
    if bad.any():
        row = int(bad.argmax())
        _fail(int(rows.index[row]), column.name, column.exceeding(numbers[row], limits[row]))


def _without(rows: pd.DataFrame, column: ValueColumn, numbers: np.ndarray,
             others: np.ndarray) -> None:
    """Refuse the first row with a value where its `nothing_without` column is 0."""
    bad = (others == 0) & (numbers != 0)
    if bad.any():
        row = int(bad.argmax())
        _fail(int(rows.index[row]), column.name, column.without(numbers[row], others[row]))


def _refuse_outside_declared(frame: pd.DataFrame, kind: np.ndarray,
                             bounds: Mapping[tuple[str, str], tuple]) -> None:
    """Refuse the first mean row outside the bounds its metric's plan declares."""
    if not bounds:
        return
    for row in np.flatnonzero(kind == Kind.mean):
        pair = (frame["pilot"].iloc[row], frame["metric"].iloc[row])
        problem = outside_declared(pair[1], bounds.get(pair, (None, None)),
                                   float(frame["mean"].iloc[row]))
        if problem:
            _fail(int(frame.index[row]), "mean", problem)


def _refuse_duplicates(summaries: pd.DataFrame) -> None:
    repeated = summaries.duplicated([*KEY, "scope"], keep="first")
    if repeated.any():
        row = int(summaries.index[repeated.to_numpy().argmax()])
        _fail(row, "period", "repeats an earlier row's pilot, metric, arm, phase, period "
                             "and scope")
