"""Row validation: each CSV row becomes the tuple to store, or problems that refuse it.

This runs once per row of files with millions of rows, so it is written for speed:
lookups are cached per pilot and metric, dates per distinct text, and the checks
avoid work on the common, valid path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lab.kinds import (
    KIND_VALUES,
    VALUE_COLUMNS,
    VALUE_NAMES,
    ValueColumn,
    outside_declared,
    plain_numeral,
)
from lab.pilots.observations import fast
from lab.pilots.observations.problems import Problems
from lab.pilots.observations.targets import Target, Targets, window
from lab.vocabulary import DESIGN_ARMS, DESIGN_PHASES, Arm, Phase, values

KEY_COLUMNS = ("pilot", "metric", "arm", "phase", "period")
# Optional: the comparison scope of a comparison-scopes pilot's control row.
SCOPE = "scope"
REQUIRED = ("pilot", "metric", "arm", "period")
ARMS, PHASES = values(Arm), values(Phase)


class RowChecker:
    """Turn rows under one header into tuples for the observation table."""

    def __init__(self, header: list[str], targets: Targets, problems: Problems,
                 period_value: Callable[[date], object] = date.isoformat):
        self.targets, self.problems, self.period_value = targets, problems, period_value
        self.names = [name.strip().lower() for name in header]
        self.width = len(header)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.valid = self._check_header()
        self.cache: dict[tuple[str, str], Target | bool] = {}
        self.periods: dict[str, object] = {}
        # pilot id -> phase -> the period texts accepted in that phase's window (and
        # their stored values): what the fast path reads, so it keeps the windows too.
        self.windows: dict[int, dict[str, dict[str, object]]] = {}
        self.missing_reported: set[tuple[str, str]] = set()
        self.layouts: dict[str, tuple[list[str], list[tuple[int, str]]]] = {}
        # (pilot, metric) -> (pilot id, metric id, slots, converter): the fast path's table.
        self.known: dict[tuple[str, str], tuple] = {}

    def _check_header(self) -> bool:
        """Refuse unknown, repeated or missing columns (all on line 1)."""
        before = len(self.problems.found)
        for i, name in enumerate(self.names):
            if name not in KEY_COLUMNS + (SCOPE,) + VALUE_NAMES:
                self.problems.add(1, name or f"#{i + 1}", "unknown column (expected "
                                  f"{', '.join(KEY_COLUMNS + (SCOPE,) + VALUE_NAMES)})")
            elif self.names.index(name) != i:
                self.problems.add(1, name, "column appears twice in the header")
        for name in REQUIRED:
            if name not in self.index:
                self.problems.add(1, name, "column missing from the header")
        return len(self.problems.found) == before and not self.problems.truncated

    def check(self, record: list[str], line: int) -> tuple | None:
        """Return the row as stored, or None after noting its problems."""
        if len(record) != self.width:
            self.problems.add(line, "", f"has {len(record)} fields but the header has "
                                        f"{self.width}")
            return None
        index = self.index
        pair = (record[index["pilot"]], record[index["metric"]])
        target = self.cache.get(pair)
        if target is None:
            target = self.cache[pair] = self._resolve(pair, line)
        if target is False:
            return None
        arm = record[index["arm"]]
        phase = record[index["phase"]] if "phase" in index else ""
        phase = phase or fast.DURING
        fits = (arm, phase) in target.slots or self._misfit(target, arm, phase, line)
        raw = record[index["period"]]
        period = self.periods.get(raw)
        if period is None:
            period = self._period(raw, line)
        if period is not None and fits:
            period = self._in_window(target, phase, raw, period, line)
        stored = self._values(record, line, target)
        scope = self._scope(record, line, target, arm)
        if not fits or period is None or stored is None or scope is None:
            return None
        return (target.pilot_id, target.metric_id, arm, phase, period) + stored + (scope,)

    def _scope(self, record: list[str], line: int, target: Target, arm: str) -> str | None:
        """Return the row's scope ("" if none), or None after noting why it is refused."""
        scope = record[self.index[SCOPE]].strip() if SCOPE in self.index else ""
        if not target.comparisons:
            if not scope:
                return scope
            problem = (f"pilot '{target.pilot_key}' has a {target.design} design: it has no "
                       "comparison scopes (leave scope blank)")
        elif arm == str(Arm.pilot):
            if not scope:
                return scope
            problem = "a pilot row is the pilot's own scope: leave scope blank"
        elif scope in target.comparisons:
            return scope
        else:
            what = f"'{scope}' is not" if scope else "is blank, but must name"
            problem = (f"{what} one of pilot '{target.pilot_key}''s comparison scopes "
                       f"({', '.join(target.comparisons)})")
        self.problems.add(line, SCOPE, problem)
        return None

    def _resolve(self, pair: tuple[str, str], line: int) -> Target | bool:
        """Look up a pilot and metric, noting once (at its first line) why not."""
        found = self.targets.find(*pair)
        if isinstance(found, str):
            column = "metric" if "has no metric" in found else "pilot"
            self.problems.add(line, column, found)
            return False
        windows = self.windows.get(found.pilot_id)
        if windows is None:
            windows = self.windows[found.pilot_id] = {
                phase: Window(window(phase, found.start, found.end), self.period_value)
                for phase in PHASES}
        convert = fast.converter(found, self.index, self.width, windows)
        if convert is not None:
            self.known[pair] = convert
        return found

    def fast(self) -> tuple[dict[tuple[str, str], Callable], int, int]:
        """Return the fast path: converters by (pilot, metric), and where those are.

        A converter takes a row that is valid and returns it as stored; it raises
        (KeyError, ValueError, IndexError) on anything else, and check() then says why.
        The importer inlines the lookup: `known[record[pilot], record[metric]](record)`.
        """
        return self.known, self.index["pilot"], self.index["metric"]

    def fast_target(self, pair: tuple[str, str]) -> Target | None:
        """Return a (pilot, metric) pair's target if the fast path takes its rows, else None
        (noting why not, as on its first row; the columnar path (bulk.py) then declines)."""
        target = self.cache.get(pair)
        if target is None:
            target = self.cache[pair] = self._resolve(pair, 0)
        return target if target is not False and pair in self.known else None

    def _misfit(self, target: Target, arm: str, phase: str, line: int) -> bool:
        """Note why this arm or phase does not exist in the pilot's design."""
        if arm not in ARMS:
            self.problems.add(line, "arm", f"must be {' or '.join(ARMS)}, not '{arm}'")
        elif arm not in DESIGN_ARMS[target.design]:
            self.problems.add(line, "arm", f"pilot '{target.pilot_key}' has a "
                              f"{target.design} design: it has no {arm} arm")
        if phase not in PHASES:
            self.problems.add(line, "phase", f"must be {' or '.join(PHASES)}, not '{phase}'")
        elif phase not in DESIGN_PHASES[target.design]:
            self.problems.add(line, "phase", f"pilot '{target.pilot_key}' has a "
                              f"{target.design} design: it has no {phase} phase")
        return False

    def _period(self, raw: str, line: int) -> object | None:
        """Parse a YYYY-MM-DD date, remembering it for the next rows."""
        try:
            if len(raw) != 10 or raw[4] != "-" or raw[7] != "-":
                raise ValueError
            value = self.period_value(date.fromisoformat(raw))
        except ValueError:
            self.problems.add(line, "period", f"must be an ISO date (YYYY-MM-DD), not '{raw}'")
            return None
        self.periods[raw] = value
        return value

    def _in_window(self, target: Target, phase: str, raw: str, period: object,
                   line: int) -> object | None:
        """Return the period if it lies in the plan's window for its phase, else None."""
        accepted = self.windows[target.pilot_id][phase]
        if raw in accepted:
            return period
        problem = target.outside(phase, date.fromisoformat(raw))
        if problem:
            self.problems.add(line, "period", problem)
            return None
        accepted[raw] = period
        return period

    def _values(self, record: list[str], line: int, target: Target) -> tuple | None:
        """Return the stored values (the kind's columns filled, the others None), or None."""
        if not self._layout_fits(record, line, target):
            return None
        columns = KIND_VALUES[target.kind]
        found = {column.name: self._number(record, column, line, target) for column in columns}
        if None in found.values():
            return None
        problem = outside_declared(target.metric_key, target.bounds, found.get("mean"))
        if problem:
            self.problems.add(line, "mean", problem)
            return None
        for column in columns:
            problem = None
            if column.at_most is not None:
                problem = column.exceeding(found[column.name], found[column.at_most])
            if column.nothing_without is not None:
                problem = column.without(found[column.name], found[column.nothing_without])
            if problem:
                self.problems.add(line, column.name, problem)
                return None
        return tuple(found.get(name) for name in VALUE_NAMES)

    def _layout_fits(self, record: list[str], line: int, target: Target) -> bool:
        """Check that the kind's columns exist and other kinds' columns are blank."""
        layout = self.layouts.get(target.kind)
        if layout is None:
            layout = self.layouts[target.kind] = self._layout(target.kind)
        missing, foreign = layout
        ok = True
        for name in missing:
            ok = self._missing_column(name, target, line)
        for i, name in foreign:
            if record[i] and record[i].strip():
                self.problems.add(line, name, f"must be blank: metric "
                                  f"'{target.metric_key}' is a {target.kind}")
                ok = False
        return ok

    def _layout(self, kind: str) -> tuple[list[str], list[tuple[int, str]]]:
        """Return the kind's columns missing from the header, and other kinds' columns."""
        missing = [name for name in VALUE_COLUMNS[kind] if name not in self.index]
        foreign = [(self.index[name], name) for other, names in VALUE_COLUMNS.items()
                   if other != kind for name in names if name in self.index]
        return missing, foreign

    def _missing_column(self, name: str, target: Target, line: int) -> bool:
        """Note, once per column and kind, that the header lacks a needed column."""
        if (name, target.kind) not in self.missing_reported:
            self.missing_reported.add((name, target.kind))
            self.problems.add(line, name, f"column missing from the header: {target.kind} "
                              f"metric '{target.metric_key}' needs it")
        return False

    def _number(self, record: list[str], column: ValueColumn, line: int,
                target: Target) -> int | float | None:
        """Return a cell's number within its column's bounds, or None after noting why not."""
        raw = record[self.index[column.name]]
        try:
            if not plain_numeral(raw):
                raise ValueError(raw)
            value = int(raw) if column.whole else float(raw)
        except ValueError:
            if raw.strip():
                self.problems.add(line, column.name, column.unreadable(raw))
            else:
                self.problems.add(line, column.name, f"missing: {target.kind} metric "
                                  f"'{target.metric_key}' needs {column.name}")
            return None
        problem = column.problem(value, value if column.whole else raw)
        if problem:
            self.problems.add(line, column.name, problem)
            return None
        return value



class Window(dict):
    """The period texts accepted in one phase's window of a pilot's plan, and their
    stored values. A text first met on the fast path is read and checked here as
    check() would (a YYYY-MM-DD date within the window), so a pilot's new periods
    stay on the fast path; one that fails raises KeyError, and check() says why."""

    def __init__(self, bounds: tuple[date, date], period_value: Callable[[date], object]):
        super().__init__()
        (self.first, self.last), self.period_value = bounds, period_value

    def __missing__(self, raw: str) -> object:
        if len(raw) != 10 or raw[4] != "-" or raw[7] != "-":
            raise KeyError(raw)
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise KeyError(raw) from None
        if not self.first <= day <= self.last:
            raise KeyError(raw)
        self[raw] = value = self.period_value(day)
        return value
