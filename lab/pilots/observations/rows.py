"""Row validation: each CSV row becomes the tuple to store, or problems that refuse it.

This runs once per row of files with millions of rows, so it is written for speed:
lookups are cached per pilot and metric, dates per distinct text, and the checks
avoid work on the common, valid path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

from lab.models import VALUE_COLUMNS
from lab.pilots.observations import fast
from lab.pilots.observations.fast import LARGEST_COUNT
from lab.pilots.observations.problems import Problems
from lab.pilots.observations.targets import ARMS, PHASES, Target, Targets

KEY_COLUMNS = ("pilot", "metric", "arm", "phase", "period")
VALUE_NAMES = ("successes", "trials", "n", "mean", "sd", "events", "exposure")
REQUIRED = ("pilot", "metric", "arm", "period")


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
        self.missing_reported: set[tuple[str, str]] = set()
        self.layouts: dict[str, tuple[list[str], list[tuple[int, str]]]] = {}
        self.parsers = {"proportion": self._proportion, "mean": self._mean, "rate": self._rate}
        # (pilot, metric) -> (pilot id, metric id, slots, converter): the fast path's table.
        self.known: dict[tuple[str, str], tuple] = {}

    def _check_header(self) -> bool:
        """Refuse unknown, repeated or missing columns (all on line 1)."""
        before = len(self.problems.found)
        for i, name in enumerate(self.names):
            if name not in KEY_COLUMNS + VALUE_NAMES:
                self.problems.add(1, name or f"#{i + 1}", "unknown column (expected "
                                  f"{', '.join(KEY_COLUMNS + VALUE_NAMES)})")
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
        phase = phase or "during"
        fits = (arm, phase) in target.slots or self._misfit(target, arm, phase, line)
        raw = record[index["period"]]
        period = self.periods.get(raw)
        if period is None:
            period = self._period(raw, line)
        values = self.parsers[target.kind](record, line, target)
        if not fits or period is None or values is None:
            return None
        return (target.pilot_id, target.metric_id, arm, phase, period) + values

    def _resolve(self, pair: tuple[str, str], line: int) -> Target | bool:
        """Look up a pilot and metric, noting once (at its first line) why not."""
        found = self.targets.find(*pair)
        if isinstance(found, str):
            column = "metric" if "has no metric" in found else "pilot"
            self.problems.add(line, column, found)
            return False
        convert = fast.converter(found, self.index, self.width, self.periods)
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

    def _misfit(self, target: Target, arm: str, phase: str, line: int) -> bool:
        """Note why this arm or phase does not exist in the pilot's design."""
        if arm not in ("pilot", "control"):
            self.problems.add(line, "arm", f"must be pilot or control, not '{arm}'")
        elif arm not in ARMS[target.design]:
            self.problems.add(line, "arm", f"pilot '{target.pilot_key}' has a "
                              f"{target.design} design: it has no {arm} arm")
        if phase not in ("before", "during"):
            self.problems.add(line, "phase", f"must be before or during, not '{phase}'")
        elif phase not in PHASES[target.design]:
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

    def _values(self, record: list[str], line: int, target: Target) -> bool:
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

    def _proportion(self, record: list[str], line: int, target: Target) -> tuple | None:
        """Return (successes, trials) with the other kinds' columns empty."""
        if not self._values(record, line, target):
            return None
        successes = self._count(record, "successes", line, target)
        trials = self._count(record, "trials", line, target)
        if successes is None or trials is None:
            return None
        if successes > trials:
            self.problems.add(line, "successes", f"{successes} successes exceed "
                              f"{trials} trials")
            return None
        return (successes, trials, None, None, None, None, None)

    def _mean(self, record: list[str], line: int, target: Target) -> tuple | None:
        """Return (n, mean, sd) with the other kinds' columns empty."""
        if not self._values(record, line, target):
            return None
        n = self._count(record, "n", line, target, least=1)
        mean = self._number(record, "mean", line, target)
        sd = self._number(record, "sd", line, target, least=0)
        if n is None or mean is None or sd is None:
            return None
        return (None, None, n, mean, sd, None, None)

    def _rate(self, record: list[str], line: int, target: Target) -> tuple | None:
        """Return (events, exposure) with the other kinds' columns empty."""
        if not self._values(record, line, target):
            return None
        events = self._count(record, "events", line, target)
        exposure = self._number(record, "exposure", line, target, above=0)
        if events is None or exposure is None:
            return None
        return (None, None, None, None, None, events, exposure)

    def _count(self, record: list[str], name: str, line: int, target: Target,
               least: int = 0) -> int | None:
        """Return a whole number at least `least`, or None after noting why not."""
        raw = record[self.index[name]]
        try:
            value = int(raw)
        except ValueError:
            return self._unreadable(raw, name, line, target, "a whole number")
        if least <= value <= LARGEST_COUNT:
            return value
        bound = f"at least {least}" if value < least else f"at most {LARGEST_COUNT}"
        self.problems.add(line, name, f"must be {bound}, not {value}")
        return None

    def _number(self, record: list[str], name: str, line: int, target: Target,
                least: float | None = None, above: float | None = None) -> float | None:
        """Return a finite number within bounds, or None after noting why not."""
        raw = record[self.index[name]]
        try:
            value = float(raw)
        except ValueError:
            return self._unreadable(raw, name, line, target, "a number")
        if not math.isfinite(value):
            self.problems.add(line, name, f"must be a finite number, not '{raw}'")
        elif least is not None and value < least:
            self.problems.add(line, name, f"must be {least} or more, not {raw}")
        elif above is not None and value <= above:
            self.problems.add(line, name, f"must be more than {above}, not {raw}")
        else:
            return value
        return None

    def _unreadable(self, raw: str, name: str, line: int, target: Target, what: str) -> None:
        """Note a blank or unreadable value."""
        if raw.strip():
            self.problems.add(line, name, f"must be {what}, not '{raw}'")
        else:
            self.problems.add(line, name, f"missing: {target.kind} metric "
                              f"'{target.metric_key}' needs {name}")
        return None
