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
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from lab import db
from lab.pilots.observations import cells, importer, sources
from lab.pilots.observations.cells import SKIP, Refused
from lab.pilots.observations.lines import Unreadable, capped_lines
from lab.pilots.observations.mapping import (
    WEEKDAYS,
    Choice,
    LoadedMapping,
    MetricRule,
    PhaseByDate,
)
from lab.pilots.observations.problems import ImportResult, ObservationError, Problems
from lab.pilots.observations.targets import Targets

# Raw exports are wider than observation files (free text, many fields): their own caps.
MAX_LINE_CHARS = 100_000
MAX_COLUMNS = 1_000


def import_raw(engine: Engine, *, mapping: LoadedMapping, sources: list[str | Path],
               actor: str, correct: bool = False,
               progress: Callable[[int, int], None] | None = None) -> list[ImportResult]:
    """Aggregate raw files as the mapping says and import the observations, all or none.

    `progress`, when given, is called every few thousand rows with the bytes and the
    rows read since its last call.
    """
    with db.writing(engine) as session:
        groups = _Groups(mapping.mapping.metrics)
        errors, read = [], {}
        targets = Targets(session.connection())
        for index, source in enumerate(sources):
            problems = Problems()
            reader = _Reader(mapping, targets, groups, problems, index)
            read[str(source)] = reader.read(source, progress)
            if problems:
                errors.append(problems.error(str(source)))
        if errors:
            raise ObservationError.combine(errors)
        names = [str(source) for source in sources]
        stored = {result.source: result for result in importer.import_aggregates(
            session, groups.by_source(names), actor=actor, correct=correct,
            note={"mapping": mapping.name, "mapping_sha256": mapping.sha256,
                  "raw_rows": sum(read.values())})}
        # Every file is reported, with its raw rows, even one whose rows all went into
        # observations first seen in an earlier file.
        results = [stored.get(name) or ImportResult(source=name) for name in names]
        for result in results:
            result.raw_rows = read[result.source]
        return results


class _Groups:
    """Running totals per (pilot, arm, phase, period), one per metric of the mapping, with
    the first raw line behind each."""

    def __init__(self, rules: list[MetricRule]):
        self.rules = [(rule.metric, rule.kind) for rule in rules]
        self.totals: dict[tuple, list[list]] = {}
        self.first: dict[tuple, tuple[int, int]] = {}

    def new(self, key: tuple, where: tuple[int, int]) -> list[list]:
        """Start a group's totals."""
        self.first[key] = where
        found = self.totals[key] = [cells.totals(kind) for _, kind in self.rules]
        return found

    def by_source(self, names: list[str]) -> list[tuple[str, list[tuple[int, dict]]]]:
        """Return the observation rows, grouped by the file of each one's first raw line."""
        rows: list[list[tuple[int, dict]]] = [[] for _ in names]
        for key in sorted(self.totals, key=lambda k: (k[0], k[3], k[1], k[2])):
            pilot, arm, phase, period = key
            file, line = self.first[key]
            for (metric, kind), found in zip(self.rules, self.totals[key], strict=True):
                counted = cells.values(kind, found)
                if counted is not None:  # a metric no row of the group counted for
                    rows[file].append((line, {"pilot": pilot, "metric": metric, "arm": arm,
                                              "phase": phase, "period": period.isoformat(),
                                              **counted}))
        return [(name, found) for name, found in zip(names, rows, strict=True) if found]


class _Reader:
    """Read one raw file into the groups, noting its problems by line and column."""

    def __init__(self, loaded: LoadedMapping, targets: Targets, groups: _Groups,
                 problems: Problems, file: int):
        self.mapping, self.targets, self.groups = loaded.mapping, targets, groups
        self.problems, self.file = problems, file
        self.zone = ZoneInfo(self.mapping.time.timezone)
        self.periods: dict[date, date] = {}
        self.checked: dict[tuple, tuple[str, str] | None] = {}

    def read(self, source: str | Path, progress: Callable[[int, int], None] | None) -> int:
        """Fold the file's rows into the groups; return how many rows were read.

        A plain file is folded a batch at a time (columnar.py); any other, row by row.
        """
        # Loaded here, not at start-up: `lab check` and the web app never load numpy.
        from lab.pilots.observations import columnar, plain

        told = plain.Resumed(progress)
        rows = columnar.fold(source, self.mapping, self.groups, self.file,
                             (MAX_LINE_CHARS, MAX_COLUMNS), self._problem, self._period, told)
        if rows is not None:
            return rows
        progress = told.again()
        pending = {"bytes": 0, "rows": 0}

        def read_bytes(count: int) -> None:
            pending["bytes"] += count

        stream = sources.CsvSource(source, read_bytes)

        def report(rows: int) -> None:
            stream.report()
            if progress is not None:
                progress(pending["bytes"], rows - pending["rows"])
            pending.update(bytes=0, rows=rows)

        try:
            name, _ = stream.open(self.problems)
            if stream.stream is None:
                return 0
            lines = capped_lines(stream.stream, MAX_LINE_CHARS, "raw export's row")
            reader = csv.reader(lines, strict=True, delimiter=self.mapping.delimiter)
            return self._rows(reader, report)
        except Unreadable as error:
            self.problems.add(error.line, "", str(error))
        except csv.Error as error:
            self.problems.add(reader.line_num, "", f"not readable as CSV: {error}")
        except UnicodeDecodeError:
            self.problems.add(reader.line_num + 1, "", "not UTF-8 text")
        finally:
            stream.close()
        return 0

    def _rows(self, reader, report: Callable[[int], None]) -> int:
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
                    raise Refused("", f"has {len(record)} fields but the header has {width}")
                fold(record, reader.line_num)
            except Refused as refused:
                self.problems.add(reader.line_num, refused.column, refused.message)
                if self.problems.full:
                    break
            if not count % importer.CHUNK_ROWS:
                report(count)
        report(count)
        return count

    def _folder(self, index: dict[str, int]) -> Callable[[list[str], int], None]:
        """Return the function that folds one row, every lookup made once here."""
        mapping, groups, file = self.mapping, self.groups, self.file
        pilot_of = cells.choice(mapping.pilot, index, "pilot")
        arm_of = cells.choice(mapping.arm, index, "arm")
        clock = cells.Clock(mapping.time.format, self.zone, index)
        readers = cells.Readers(clock, index)
        parsed, zone = clock.parsed(mapping.time.column), self.zone
        phase_of = self._phase(index)
        adders = [readers.adder(rule) for rule in mapping.metrics]
        periods, period_of, started, totals = self.periods, self._period, self._new, groups.totals
        # A constant pilot, arm or phase (the common case) costs no call per row.
        pilot_fixed = mapping.pilot if isinstance(mapping.pilot, str) else None
        arm_fixed = mapping.arm if isinstance(mapping.arm, str) else None
        phase_fixed = mapping.phase if isinstance(mapping.phase, str) else None

        def fold(record: list[str], line: int) -> None:
            pilot, arm = pilot_fixed or pilot_of(record), arm_fixed or arm_of(record)
            if pilot is SKIP or arm is SKIP:
                return
            found = parsed(record)
            # The period is the local day's: a time with an offset is moved to the zone.
            day = (found if found.tzinfo is None else found.astimezone(zone)).date()
            period = periods.get(day) or period_of(day)
            key = (pilot, arm, phase_fixed or phase_of(record, period), period)
            found = totals.get(key) or started(key, (file, line))
            if found is None:
                return  # a refused pilot, metric or arm: named once, at its first line
            for add, metric in zip(adders, found, strict=True):
                add(record, metric)

        return fold

    def _new(self, key: tuple, where: tuple[int, int]) -> list[list] | None:
        """Check a group on its first sight, then start its totals.

        A refused pilot, metric, arm or phase is named at its first line only (None
        for its later rows), as the observations importer does.
        """
        pilot, arm, phase, _ = key
        for rule in self.mapping.metrics:
            slot = (pilot, rule.metric, arm, phase)
            if slot in self.checked:
                if self.checked[slot]:
                    return None
                continue
            self.checked[slot] = self._problem(pilot, rule.metric, arm, phase, rule.kind)
            if self.checked[slot]:
                raise Refused(*self.checked[slot])
        return self.groups.new(key, where)

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
            of = cells.choice(phase, index, "phase")

            def by_column(record: list[str], period: date) -> str:
                found = of(record)
                if found is SKIP:
                    raise Refused(phase.column, f"'{record[index[phase.column]]}' is not a "
                                   "phase the mapping knows (phase rows cannot be skipped)")
                return found

            return by_column
        return lambda record, period: phase

    def _problem(self, pilot: str, metric: str, arm: str, phase: str,
                 kind: str) -> tuple[str, str] | None:
        """Return (column, reason) if rows of this pilot, metric, arm and phase are refused."""
        found = self.targets.find(pilot, metric)
        if isinstance(found, str):
            return ("metric" if "has no metric" in found else
                    _column(self.mapping.pilot, "pilot")), found
        if found.kind != kind:
            return "metric", (f"metric '{metric}' of pilot '{pilot}' is a {found.kind}, but "
                              f"the mapping computes a {kind}")
        if (arm, phase) not in found.slots:
            wrong_arm = all(slot[0] != arm for slot in found.slots)
            column = _column(self.mapping.arm, "arm") if wrong_arm else \
                _column(self.mapping.phase, "phase")
            return column, (f"pilot '{pilot}' has a {found.design} design: it has no {arm} "
                            f"arm in the {phase} phase")
        return None


def _column(part: object, name: str) -> str:
    """Name where a row's pilot, arm or phase came from: its column, or the mapping's key."""
    return part.column if isinstance(part, Choice) else name
