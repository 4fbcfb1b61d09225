"""Reading a raw row's cells as a mapping says: its pilot, arm, times, numbers and tests.

Each reader is a closure made once per file, with every lookup done when it is made:
they run once per row of files with millions of rows. A time or number several metrics
read (created_at for the period and for a reply time, say) is parsed once per row: its
reader remembers the last row it read (by identity; it holds that row, so no later row
can reuse its address).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from lab.pilots.observations.mapping import Choice, Condition, MetricRule, Value
from lab.vocabulary import Kind

Record = list[str]
SKIP = object()  # a pilot or arm the mapping leaves out
VARIES = object()  # a day the zone's clocks change: offsets are looked up time by time


class Refused(Exception):
    """One cell refused: `column` and `message` say which and why."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def choice(part: str | Choice, index: dict[str, int], name: str) -> Callable[[Record], object]:
    """Return the reader of a row's pilot, arm or phase (a constant, or a column's cell)."""
    if isinstance(part, str):
        return lambda record: part
    at, values, skip = index[part.column], part.values, part.others == "skip"
    if values is None:
        def cell(record: Record) -> str:
            if not record[at]:
                raise Refused(part.column, f"blank: the row's {name} is needed")
            return record[at]
        return cell
    known = ", ".join(sorted(values))

    def translated(record: Record) -> object:
        found = values.get(record[at])
        if found is None:
            if skip:
                return SKIP
            raise Refused(part.column, f"'{record[at]}' is not a {name} the mapping knows "
                          f"({known}; set others = \"skip\" to leave such rows out)")
        return found

    return translated


class Clock:
    """How the mapping reads times: their format, and the zone of those without offset."""

    def __init__(self, pattern: str, zone: ZoneInfo, index: dict[str, int]):
        self.pattern, self.zone, self.index = pattern, zone, index
        self.parsers: dict[str, Callable[[Record], datetime]] = {}
        self.offsets: dict = {}  # local date -> its UTC offset, or VARIES

    def parsed(self, column: str) -> Callable[[Record], datetime]:
        """Return the column's time as written (naive, or with its offset), once per row."""
        if column in self.parsers:
            return self.parsers[column]
        at, pattern = self.index[column], self.pattern
        parse = datetime.fromisoformat if pattern == "iso" else \
            (lambda text: datetime.strptime(text, pattern))
        shown = "an ISO 8601 time such as 2026-01-05T09:30:00" if pattern == "iso" else \
            f"a time in the format {pattern}"
        last: Record | None = None
        value: datetime | None = None

        def read(record: Record) -> datetime:
            nonlocal last, value
            if record is last:
                return value
            text = record[at]
            try:
                found = parse(text)
            except ValueError:
                raise Refused(column, f"must be {shown}, not '{text}'" if text
                              else f"blank: must be {shown}") from None
            last, value = record, found
            return found

        self.parsers[column] = read
        return read

    def local(self, column: str) -> Callable[[Record], datetime]:
        """Return the column's wall-clock time in the mapping's zone (naive)."""
        parse, zone = self.parsed(column), self.zone

        def local(record: Record) -> datetime:
            found = parse(record)
            # A time with an offset is moved to the mapping's zone; one without is in it.
            return found if found.tzinfo is None else \
                found.astimezone(zone).replace(tzinfo=None)

        return local

    def absolute(self, column: str) -> Callable[[Record], datetime]:
        """Return the column's time in UTC (naive), so durations count real minutes.

        A naive time's offset is the zone's on its day, looked up once a day; on a day
        the clocks change, time by time (a reply across the change counts the minutes
        that really passed).
        """
        parse, offsets, of_day = self.parsed(column), self.offsets, self.day_offset

        def absolute(record: Record) -> datetime:
            found = parse(record)
            if found.tzinfo is not None:
                return found.replace(tzinfo=None) - found.utcoffset()
            offset = offsets.get(found.date())
            if offset is None:
                offset = of_day(found.date())
            if offset is VARIES:
                offset = found.replace(tzinfo=self.zone).utcoffset()
            return found - offset

        return absolute

    def day_offset(self, day: date) -> object:
        """Return the zone's offset all day long on a local day, or VARIES."""
        first = datetime.combine(day, time(0), self.zone).utcoffset()
        last = datetime.combine(day, time(23, 59, 59), self.zone).utcoffset()
        self.offsets[day] = found = first if first == last else VARIES
        return found


class Readers:
    """Make and share the readers of one file's numbers and tests."""

    def __init__(self, clock: Clock, index: dict[str, int]):
        self.clock, self.index = clock, index
        self.numbers: dict[tuple, Callable[[Record], float | None]] = {}

    def number(self, value: Value, blank: str) -> Callable[[Record], float | None]:
        """Return the reader of a row's number (None: blank and left out), once per row."""
        key = (value.column, value.minutes, blank)
        if key not in self.numbers:
            self.numbers[key] = self._minutes(value, blank) if value.minutes else \
                self._cell(value.column, blank)
        return self.numbers[key]

    def _minutes(self, value: Value, blank: str) -> Callable[[Record], float | None]:
        (first, last), index = value.minutes, self.index
        first_at, last_at = index[first], index[last]
        start, end = self.clock.absolute(first), self.clock.absolute(last)
        seen: Record | None = None
        value: float | None = None

        def minutes(record: Record) -> float | None:
            nonlocal seen, value
            if record is seen:  # several metrics read the same minutes
                return value
            if not record[first_at] or not record[last_at]:
                value = _blank(blank, first if not record[first_at] else last)
            else:
                value = (end(record) - start(record)).total_seconds() / 60
            seen = record
            return value

        return minutes

    def _cell(self, column: str, blank: str) -> Callable[[Record], float | None]:
        at = self.index[column]

        def number(record: Record) -> float | None:
            # Not remembered per row: float() of a cell costs less than the check would.
            text = record[at]
            try:
                found = float(text)
            except ValueError:
                if not text.strip():
                    return _blank(blank, column)
                raise Refused(column, f"must be a number, not '{text}'") from None
            if found - found != 0:  # NaN or an infinity
                raise Refused(column, f"must be a finite number, not '{text}'")
            return found

        return number

    def test(self, condition: Condition, blank: str) -> Callable[[Record], bool | None]:
        """Return the test of a row: True, False, or None (blank and left out)."""
        if condition.numeric():
            read = self.number(condition, "skip" if blank == "fail" else blank)
            low = -math.inf if condition.at_least is None else condition.at_least
            high = math.inf if condition.at_most is None else condition.at_most
            above = -math.inf if condition.above is None else condition.above
            below = math.inf if condition.below is None else condition.below
            failed = False if blank == "fail" else None

            def compare(record: Record) -> bool | None:
                found = read(record)
                if found is None:
                    return failed
                return low <= found <= high and above < found < below

            return compare
        at, column = self.index[condition.column], condition.column
        accepted = frozenset([condition.equals] if condition.equals is not None
                             else condition.among)

        def match(record: Record) -> bool | None:
            text = record[at]
            if not text.strip():
                return False if blank == "fail" else _blank(blank, column)
            return text in accepted

        return match

    def adder(self, rule: MetricRule) -> Callable[[Record, list], None]:
        """Return the function adding a row to a metric's totals (see totals())."""
        where = self.test(rule.where, "skip") if rule.where is not None else None
        if rule.kind == Kind.mean:
            value = self.number(rule.mean, rule.blank)

            def add(record: Record, totals: list) -> None:
                if where is not None and not where(record):
                    return
                found = value(record)
                if found is None:
                    return
                if not totals[0]:
                    totals[1] = found  # the shift: large values lose no precision
                totals[0] += 1
                shifted = found - totals[1]
                totals[2] += shifted
                totals[3] += shifted * shifted
        elif rule.kind == Kind.proportion:
            test = self.test(rule.share, rule.blank)

            def add(record: Record, totals: list) -> None:
                if where is not None and not where(record):
                    return
                met = test(record)
                if met is not None:
                    totals[0] += met
                    totals[1] += 1
        else:
            test = self.test(rule.count, rule.blank) if rule.count else (lambda record: True)
            exposed = self._exposure(rule)

            def add(record: Record, totals: list) -> None:
                if where is not None and not where(record):
                    return
                met = test(record)
                if met is not None:
                    totals[0] += met
                    totals[1] += exposed(record)
                    totals[2] += 1
        return add

    def _exposure(self, rule: MetricRule) -> Callable[[Record], float]:
        exposure = rule.exposure
        per = exposure.per
        if exposure.sum is None:
            share = 1.0 / per
            return lambda record: share
        amount = self.number(Value(column=exposure.sum), "refuse")
        return lambda record: amount(record) / per


def totals(kind: str) -> list:
    """Return a metric's empty totals: proportion [successes, trials]; mean [n, shift,
    sum, sum of squares] (of the values less the shift); rate [events, exposure, rows]."""
    if kind == Kind.proportion:
        return [0, 0]
    return [0, 0.0, 0.0, 0.0] if kind == Kind.mean else [0, 0.0, 0]


def values(kind: str, found: list) -> dict | None:
    """Return the observation's value columns from a metric's totals; None if no rows."""
    if kind == Kind.proportion:
        return {"successes": found[0], "trials": found[1]} if found[1] else None
    if kind == Kind.rate:
        return {"events": found[0], "exposure": found[1]} if found[2] else None
    n, shift, total, squares = found
    if not n:
        return None
    variance = (squares - total * total / n) / (n - 1) if n > 1 else 0.0
    return {"n": n, "mean": shift + total / n, "sd": math.sqrt(max(variance, 0.0))}


def _blank(policy: str, column: str) -> None:
    """Say what a blank cell does: None leaves the row out (skip); refuse raises."""
    if policy == "refuse":
        raise Refused(column, "blank: the mapping refuses blank cells here (set blank = "
                      "\"skip\" to leave such rows out)")
    return None

