"""Raw-row import: exports of one row per interaction, aggregated as a mapping says.

The rows are streamed and folded into running totals per (pilot, metric, arm, phase,
period), so memory grows with the number of periods, never with the file. Nothing of
a raw row is kept (they hold customers' words and handles): only the aggregates are
written, through the same checks and writer as an observations CSV (importer.py),
and the audit records the mapping's name and hash. All files of one import are
aggregated together (a week may span two exports) and committed together, or nothing.
Problems are named by file, line and column; an aggregate refused later (say, one that
contradicts a stored row) is named by the first raw line that went into it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from lab import db
from lab.pilots.observations import importer
from lab.pilots.observations.mapping import (
    WEEKDAYS,
    Choice,
    Condition,
    LoadedMapping,
    MetricRule,
    PhaseByDate,
    Value,
)
from lab.pilots.observations.problems import ImportResult, ObservationError, Problems
from lab.pilots.observations.targets import Targets
from lab.vocabulary import Kind

# Raw exports are wider than observation files (free text, many fields): their own caps.
MAX_LINE_CHARS = 100_000
MAX_COLUMNS = 1_000
SKIP = object()  # a pilot or arm the mapping leaves out


class _Refused(Exception):
    """One cell refused: `column` and `message` say which and why."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def import_raw(engine: Engine, *, mapping: LoadedMapping, sources: list[str | Path],
               actor: str, correct: bool = False,
               progress: importer.Progress | None = None) -> list[ImportResult]:
    """Aggregate raw files as the mapping says and import the observations, all or none."""
    with db.writing(engine) as session:
        groups = _Groups()
        errors, read = [], 0
        targets = Targets(session.connection())
        for index, source in enumerate(sources):
            problems = Problems()
            reader = _Reader(mapping, targets, groups, problems, index)
            read += reader.read(source, progress)
            if problems:
                errors.append(problems.error(str(source)))
        if errors:
            raise ObservationError.combine(errors)
        return importer.import_aggregates(
            session, groups.by_source([str(source) for source in sources]), actor=actor,
            correct=correct, note={"mapping": mapping.name, "mapping_sha256": mapping.sha256,
                                   "raw_rows": read})


class _Groups:
    """Running totals per observation key, with the first raw line behind each."""

    def __init__(self):
        self.totals: dict[tuple, list] = {}
        self.first: dict[tuple, tuple[int, int]] = {}

    def add(self, key: tuple, kind: str, value: float, counts: bool, where: tuple[int, int]):
        """Fold one row into its group: value 1/0 (share), the value (mean), events (rate)."""
        totals = self.totals.get(key)
        if totals is None:
            # proportion: [successes, trials]; mean: [n, shift, sum, sum of squares]
            # (shifted by the first value, so a large mean loses no precision);
            # rate: [events, exposure].
            totals = self.totals[key] = [0, value, 0.0, 0.0] if kind == Kind.mean else [0, 0]
            self.first[key] = where
        if kind == Kind.mean:
            totals[0] += 1
            shifted = value - totals[1]
            totals[2] += shifted
            totals[3] += shifted * shifted
        else:
            totals[0] += value
            totals[1] += counts

    def by_source(self, names: list[str]) -> list[tuple[str, list[tuple[int, dict]]]]:
        """Return the observation rows, grouped by the file of each one's first raw line."""
        rows: list[list[tuple[int, dict]]] = [[] for _ in names]
        for key in sorted(self.totals, key=lambda k: (k[0], k[1], k[4], k[2], k[3])):
            pilot, metric, arm, phase, period, kind = key
            file, line = self.first[key]
            row = {"pilot": pilot, "metric": metric, "arm": arm, "phase": phase,
                   "period": period.isoformat(), **_values(kind, self.totals[key])}
            rows[file].append((line, row))
        return [(name, found) for name, found in zip(names, rows, strict=True) if found]


def _values(kind: str, totals: list) -> dict:
    """Return the observation's value columns from a group's totals."""
    if kind == Kind.proportion:
        return {"successes": totals[0], "trials": totals[1]}
    if kind == Kind.rate:
        return {"events": totals[0], "exposure": totals[1]}
    n, shift, total, squares = totals
    variance = (squares - total * total / n) / (n - 1) if n > 1 else 0.0
    return {"n": n, "mean": shift + total / n, "sd": math.sqrt(max(variance, 0.0))}


class _Reader:
    """Read one raw file into the groups, noting its problems by line and column."""

    def __init__(self, loaded: LoadedMapping, targets: Targets, groups: _Groups,
                 problems: Problems, file: int):
        self.mapping, self.targets, self.groups = loaded.mapping, targets, groups
        self.problems, self.file = problems, file
        self.zone = ZoneInfo(self.mapping.time.timezone)
        self.periods: dict[date, date] = {}
        self.checked: dict[tuple, str | None] = {}

    def read(self, source: str | Path, progress: importer.Progress | None) -> int:
        """Fold the file's rows into the groups; return how many rows were read."""
        stream = importer._CsvSource(source, progress)
        try:
            name, _ = stream.open(self.problems)
            if stream.stream is None:
                return 0
            reader = csv.reader(importer._capped_lines(stream.stream, MAX_LINE_CHARS),
                                strict=True, delimiter=self.mapping.delimiter)
            return self._rows(reader, stream.report)
        except importer._Unreadable as error:
            self.problems.add(error.line, "", str(error))
        except csv.Error as error:
            self.problems.add(reader.line_num, "", f"not readable as CSV: {error}")
        except UnicodeDecodeError:
            self.problems.add(reader.line_num + 1, "", "not UTF-8 text")
        finally:
            stream.close()
        return 0

    def _rows(self, reader, report: Callable[[], None]) -> int:
        """Fold every row; stop looking after the problem limit."""
        header = next(reader, None)
        if header is None:
            self.problems.add(1, "", "empty: a raw export needs a header line and rows")
            return 0
        if len(header) > MAX_COLUMNS:
            self.problems.add(1, "", f"has {len(header)} columns; at most {MAX_COLUMNS}")
            return 0
        index = {name.strip(): i for i, name in enumerate(header)}
        missing = [name for name in self.mapping.columns() if name not in index]
        for name in missing:
            self.problems.add(1, name, "column the mapping reads is missing from the header")
        if missing:
            return 0
        width, fold, count = len(header), self._folder(index), 0
        for record in reader:
            if not record:
                continue
            count += 1
            try:
                if len(record) != width:
                    raise _Refused("", f"has {len(record)} fields but the header has {width}")
                fold(record, reader.line_num)
            except _Refused as refused:
                self.problems.add(reader.line_num, refused.column, refused.message)
                if self.problems.full:
                    break
            if not count % importer.CHUNK_ROWS:
                report()
        report()
        return count

    def _folder(self, index: dict[str, int]) -> Callable[[list[str], int], None]:
        """Return the function that folds one row, every lookup made once here."""
        mapping, groups, file = self.mapping, self.groups, self.file
        pilot_of = _choice(mapping.pilot, index, "pilot")
        arm_of = _choice(mapping.arm, index, "arm")
        clock = _Clock(mapping.time.format, self.zone)
        when = clock.local(mapping.time.column, index)
        phase_of = self._phase(index)
        rules = [(rule.metric, rule.kind, _measure(rule, index, clock))
                 for rule in mapping.metrics]
        periods, period_of = self.periods, self._period

        def fold(record: list[str], line: int) -> None:
            pilot, arm = pilot_of(record), arm_of(record)
            if pilot is SKIP or arm is SKIP:
                return
            day = when(record).date()
            period = periods.get(day) or period_of(day)
            phase = phase_of(record, period)
            found = []
            for metric, kind, measure in rules:
                key = (pilot, metric, arm, phase, period, kind)
                if key not in groups.first:
                    self._check(key, line)
                value = measure(record)
                if value is not None:
                    found.append((key, kind, value))
            for key, kind, (value, counts) in found:  # only once the whole row is good
                groups.add(key, kind, value, counts, (file, line))

        return fold

    def _period(self, day: date) -> date:
        """Return the start of the period holding a day (remembered for the next rows)."""
        time = self.mapping.time
        if time.period == "day":
            start = day
        elif time.period == "month":
            start = day.replace(day=1)
        else:
            start = day - timedelta(days=(day.weekday() - WEEKDAYS.index(time.week_start)) % 7)
        self.periods[day] = start
        return start

    def _phase(self, index: dict[str, int]) -> Callable[[list[str], date], str]:
        """Return the function giving a row's phase."""
        phase = self.mapping.phase
        if isinstance(phase, PhaseByDate):
            return lambda record, period: "before" if period < phase.before else "during"
        if isinstance(phase, Choice):
            of = _choice(phase, index, "phase")

            def by_column(record: list[str], period: date) -> str:
                found = of(record)
                if found is SKIP:
                    raise _Refused(phase.column, f"'{record[index[phase.column]]}' is not a "
                                   "phase the mapping knows (phase rows cannot be skipped)")
                return found

            return by_column
        return lambda record, period: phase

    def _check(self, key: tuple, line: int) -> None:
        """On a key's first sight: the pilot runs, has the metric, of that kind, and arm."""
        pilot, metric, arm, phase, _, kind = key
        slot = (pilot, metric, arm, phase)
        if slot not in self.checked:
            self.checked[slot] = self._problem(pilot, metric, arm, phase, kind)
        problem = self.checked[slot]
        if problem:
            column = "metric" if "metric" in problem.split(":")[0] else "pilot"
            raise _Refused(column, problem)

    def _problem(self, pilot: str, metric: str, arm: str, phase: str, kind: str) -> str | None:
        found = self.targets.find(pilot, metric)
        if isinstance(found, str):
            return found
        if found.kind != kind:
            return (f"metric '{metric}' of pilot '{pilot}' is a {found.kind}, but the mapping "
                    f"computes a {kind}")
        if (arm, phase) not in found.slots:
            return (f"pilot '{pilot}' has a {found.design} design: it has no {arm} arm in "
                    f"the {phase} phase")
        return None


def _choice(part: str | Choice, index: dict[str, int], name: str) -> Callable[[list[str]], object]:
    """Return the function reading a row's pilot, arm or phase (a constant, or a column)."""
    if isinstance(part, str):
        return lambda record: part
    at, values, skip = index[part.column], part.values, part.others == "skip"
    if values is None:
        def cell(record: list[str]) -> str:
            if not record[at]:
                raise _Refused(part.column, f"blank: the row's {name} is needed")
            return record[at]
        return cell

    def translated(record: list[str]) -> object:
        found = values.get(record[at])
        if found is None:
            if skip:
                return SKIP
            known = ", ".join(sorted(values))
            raise _Refused(part.column, f"'{record[at]}' is not a {name} the mapping knows "
                           f"({known}; set others = \"skip\" to leave such rows out)")
        return found

    return translated


def _time_reader(column: str, index: dict[str, int], pattern: str,
                 zone: ZoneInfo) -> Callable[[list[str]], datetime]:
    """Return the function reading a column's time, in the mapping's zone (naive = local)."""
    at = index[column]
    parse = datetime.fromisoformat if pattern == "iso" else \
        (lambda text: datetime.strptime(text, pattern))
    shown = "an ISO 8601 time such as 2026-01-05T09:30:00" if pattern == "iso" else \
        f"a time in the format {pattern}"

    def read(record: list[str]) -> datetime:
        text = record[at]
        try:
            found = parse(text)
        except ValueError:
            raise _Refused(column, f"must be {shown}, not '{text}'" if text
                           else f"blank: must be {shown}") from None
        # A time with an offset is moved to the mapping's zone; one without is in it.
        return found if found.tzinfo is None else found.astimezone(zone)

    return read


def _measure(rule: MetricRule, index: dict[str, int],
             clock: _Clock) -> Callable[[list[str]], tuple[float, bool] | None]:
    """Return the function giving a row's contribution to a metric, or None if it has none.

    The contribution is (value, counts): for a share, (1 or 0, True); for a mean, (the
    value, True); for a count, (1 or 0 events, exposure).
    """
    where = _test(rule.where, index, clock, "skip") if rule.where is not None else None
    if rule.share is not None or rule.count is not None:
        test = _test(rule.share or rule.count, index, clock, rule.blank)
    elif rule.every_row:
        test = lambda record: True  # noqa: E731
    else:
        test = None
    value = _number(rule.mean, index, clock, rule.blank) if rule.mean is not None else None
    exposure = rule.exposure
    if exposure is not None and exposure.sum is not None:
        amount = _number(Value(column=exposure.sum), index, clock, "refuse")
        per = exposure.per
        exposed = lambda record: amount(record) / per  # noqa: E731
    elif exposure is not None:
        share = 1.0 / exposure.per
        exposed = lambda record: share  # noqa: E731
    kind = rule.kind

    def measure(record: list[str]) -> tuple[float, bool] | None:
        if where is not None and not where(record):
            return None
        if kind == Kind.mean:
            found = value(record)
            return None if found is None else (found, True)
        met = test(record)
        if met is None:
            return None
        return (1 if met else 0), (True if kind == Kind.proportion else exposed(record))

    return measure


def _number(value: Value, index: dict[str, int], clock: _Clock,
            blank: str) -> Callable[[list[str]], float | None]:
    """Return the function reading a row's number (None: blank and skipped)."""
    if value.minutes is not None:
        (first, last), (first_at, last_at) = value.minutes, map(index.get, value.minutes)
        start, end = clock.absolute(first, index), clock.absolute(last, index)

        def minutes(record: list[str]) -> float | None:
            if not record[first_at] or not record[last_at]:
                return _blank(blank, first if not record[first_at] else last)
            return (end(record) - start(record)) / 60

        return minutes
    at, column = index[value.column], value.column

    def number(record: list[str]) -> float | None:
        text = record[at]
        try:
            found = float(text)
        except ValueError:
            if not text.strip():
                return _blank(blank, column)
            raise _Refused(column, f"must be a number, not '{text}'") from None
        if not math.isfinite(found):
            raise _Refused(column, f"must be a finite number, not '{text}'")
        return found

    return number


class _Clock:
    """How the mapping reads times: their format, and the zone of those without offset."""

    def __init__(self, pattern: str, zone: ZoneInfo):
        self.pattern, self.zone = pattern, zone

    def local(self, column: str, index: dict[str, int]) -> Callable[[list[str]], datetime]:
        """Return the reader of a column's time as a wall-clock time in the zone."""
        return _time_reader(column, index, self.pattern, self.zone)

    def absolute(self, column: str, index: dict[str, int]) -> Callable[[list[str]], float]:
        """Return the reader of a column's time as seconds since the epoch."""
        reader, zone = self.local(column, index), self.zone

        def seconds(record: list[str]) -> float:
            found = reader(record)
            # A naive local time is given its zone, so a reply across a clock change
            # counts the minutes that really passed.
            return (found.replace(tzinfo=zone) if found.tzinfo is None else found).timestamp()

        return seconds


def _blank(policy: str, column: str) -> float | None:
    """Say what a blank cell does: None leaves the row out; 'fail' never reaches here."""
    if policy == "refuse":
        raise _Refused(column, "blank: the mapping refuses blank cells here (set blank = "
                       "\"skip\" to leave such rows out)")
    return None


def _test(condition: Condition, index: dict[str, int], clock: _Clock,
          blank: str) -> Callable[[list[str]], bool | None]:
    """Return the function telling whether a row meets a condition (None: left out)."""
    if condition.numeric():
        read = _number(condition, index, clock, "skip" if blank == "fail" else blank)
        low = -math.inf if condition.at_least is None else condition.at_least
        high = math.inf if condition.at_most is None else condition.at_most
        above = -math.inf if condition.above is None else condition.above
        below = math.inf if condition.below is None else condition.below

        def compare(record: list[str]) -> bool | None:
            found = read(record)
            if found is None:
                return False if blank == "fail" else None
            return low <= found <= high and above < found < below

        return compare
    at, column = index[condition.column], condition.column
    accepted = {condition.equals} if condition.equals is not None else set(condition.among)

    def match(record: list[str]) -> bool | None:
        text = record[at]
        if not text.strip():
            if blank == "fail":
                return False
            return _blank(blank, column)
        return text in accepted

    return match
