"""The columnar path of the raw import: a plain export folded a batch at a time.

raw.py folds an export row by row in Python, which costs several times reading the file
(issue 16 asks for at most twice csv.reader). So a plain file (plain.py) is read here
first: pyarrow's CSV parser reads it a block at a time into the columns the mapping
reads, as text, and numpy folds each block into the same totals. Sums are made with
numpy's unbuffered `add.at`, row after row in file order, so every total is bit for bit
the one the row path makes (tests/db/test_raw_columnar.py holds the two paths to it).
Anything the row path would refuse, or that is not plain, declines the file before any
of it is kept; raw.py then reads that file row by row and names each problem by line
and column, as ever. Declining costs one more read of the file; memory stays one batch.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lab.pilots.observations import cells, plain
from lab.pilots.observations.mapping import Choice, Condition, Mapping, PhaseByDate, Value
from lab.pilots.observations.plain import DAY_US, EPOCH, FIRST_DAY, LAST_DAY, Declined
from lab.vocabulary import Kind

# Minutes whose microseconds a float holds exactly, as the row path's timedelta does.
EXACT_US = 2 ** 53


def fold(source: object, mapping: Mapping, groups, file: int, limits: tuple[int, int],
         problem: Callable[..., tuple | None], period: Callable[[date], date],
         progress: Callable[[int, int], None] | None) -> int | None:
    """Fold a plain file into `groups` (raw._Groups); return its rows, or None if declined.

    Declined, it leaves `groups` as they were and tells `progress` nothing more than the
    row path will (plain.Resumed).
    """
    if mapping.time.format != "iso" or not isinstance(source, str | Path):
        return None
    try:
        with open(source, "rb") as handle:
            source_file = plain.PlainFile(handle, *limits)
            folder = _Folder(mapping, groups, file, problem, period,
                             source_file.header(mapping.delimiter))
            reported = 0
            for batch in source_file.batches(folder.width, folder.at, mapping.delimiter):
                folder.add(batch)
                if progress is not None:
                    progress(source_file.bytes - reported, batch.num_rows)
                    reported = source_file.bytes
            source_file.finish(folder.rows)
    except (Declined, pa.ArrowException, OSError, UnicodeDecodeError, csv.Error):
        return None
    folder.keep()
    if progress is not None and source_file.bytes > reported:
        progress(source_file.bytes - reported, 0)
    return folder.rows


class _Folder:
    """The running totals of one file's groups, as arrays, until the file is kept."""

    def __init__(self, mapping: Mapping, groups, file: int, problem, period,
                 header: list[str]):
        self.mapping, self.groups, self.file = mapping, groups, file
        self.problem, self.period = problem, period
        self.width, self.rows = len(header), 0
        index = {name.strip(): i for i, name in enumerate(header)}
        if any(column not in index for column in mapping.columns()):
            raise Declined  # the row path names the missing column
        self.at = {column: f"c{index[column]}" for column in mapping.columns()}
        self.rules = mapping.metrics
        self.ids: dict[tuple, int] = {}
        self.keys: list[tuple] = []
        self.first: list[int] = []
        self.checked: set[tuple] = set()
        self.totals = [[np.zeros(0, np.int64 if kind is int else np.float64)
                        for kind in _layout(rule.kind)] for rule in self.rules]
        self.offsets = plain.Offsets(ZoneInfo(mapping.time.timezone))

    def add(self, batch: pa.RecordBatch) -> None:
        """Fold one batch of rows."""
        columns = {name: batch.column(name) for name in set(self.at.values())}
        pilots, pilot_names = self._choice(self.mapping.pilot, columns, batch.num_rows)
        arms, arm_names = self._choice(self.mapping.arm, columns, batch.num_rows)
        kept = np.flatnonzero((pilots >= 0) & (arms >= 0))
        taken = plain.from_numpy(kept)
        text = {column: columns[name] if kept.size == batch.num_rows else
                columns[name].take(taken) for column, name in self.at.items()}
        local, blank = plain.times(text[self.mapping.time.column])
        if blank.any():
            raise Declined  # the row path refuses a blank time
        unique_days, day_of = np.unique(local // DAY_US, return_inverse=True)
        if unique_days.size and (unique_days[0] < FIRST_DAY or unique_days[-1] > LAST_DAY):
            raise Declined
        starts = [self.period(date.fromordinal(EPOCH + int(day))) for day in unique_days]
        phases, phase_names = self._phases(text, starts, day_of)
        period_codes = np.array([start.toordinal() for start in starts], np.int64)[day_of]
        sizes = (len(pilot_names), len(arm_names), len(phase_names))
        code = ((period_codes * sizes[2] + phases) * sizes[1] + arms[kept]) * sizes[0] + \
            pilots[kept]
        unique, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        found = np.empty(unique.size, np.int64)
        for i, value in enumerate(unique.tolist()):
            rest, pilot = divmod(value, sizes[0])
            rest, arm = divmod(rest, sizes[1])
            start, phase = divmod(rest, sizes[2])
            key = (pilot_names[pilot], arm_names[arm], phase_names[phase],
                   date.fromordinal(start))
            found[i] = self._group(key, self.rows + int(kept[first[i]]) + 2)
        self._grow()
        rows = _Rows(text, found[inverse], self.offsets)
        rows.cache["local", self.mapping.time.column] = local, blank
        for rule, totals in zip(self.rules, self.totals, strict=True):
            rows.fold(rule, totals)
        self.rows += batch.num_rows

    def _choice(self, part, columns: dict, count: int) -> tuple[np.ndarray, list[str]]:
        """Return each row's code for its pilot or arm (-1: skipped), and the names."""
        if isinstance(part, str):
            return np.zeros(count, np.int64), [part]
        encoded = columns[self.at[part.column]].dictionary_encode()
        names, codes = [], []
        for cell in encoded.dictionary.to_pylist():
            name = cell if part.values is None else part.values.get(cell)
            if name is None and part.others == "skip":
                codes.append(-1)
                continue
            if not name:  # blank, or a value the mapping does not know: refused
                raise Declined
            codes.append(len(names))
            names.append(name)
        table = np.array(codes + [-1], np.int64)
        return table[plain.to_numpy(encoded.indices)], names or [""]

    def _phases(self, text: dict, starts: list[date], day_of: np.ndarray):
        phase = self.mapping.phase
        if isinstance(phase, PhaseByDate):
            codes = np.array([start >= phase.before for start in starts], np.int64)
            return codes[day_of], ["before", "during"]
        if isinstance(phase, Choice):
            codes, names = self._choice(phase, {self.at[phase.column]: text[phase.column]},
                                        len(day_of))
            if (codes < 0).any():
                raise Declined  # phase rows cannot be skipped: the row path says so
            return codes, names
        return np.zeros(len(day_of), np.int64), [phase]

    def _group(self, key: tuple, line: int) -> int:
        """Return a group's number, checking its pilot, metrics, arm and phase at first sight."""
        if key in self.ids:
            return self.ids[key]
        pilot, arm, phase, _ = key
        for rule in self.rules:
            slot = (pilot, rule.metric, arm, phase)
            if slot not in self.checked:
                if self.problem(pilot, rule.metric, arm, phase, rule.kind):
                    raise Declined
                self.checked.add(slot)
        self.ids[key] = len(self.keys)
        self.keys.append(key)
        self.first.append(line)
        return self.ids[key]

    def _grow(self) -> None:
        """Give every total a slot per group, starting from an earlier file's totals."""
        for index, (rule, totals) in enumerate(zip(self.rules, self.totals, strict=True)):
            for j, array in enumerate(totals):
                known = array.size
                if known == len(self.keys):
                    continue
                start = [self.groups.totals[key][index][j] if key in self.groups.totals
                         else cells.totals(rule.kind)[j] for key in self.keys[known:]]
                totals[j] = np.concatenate([array, np.array(start, array.dtype)])

    def keep(self) -> None:
        """Write this file's totals into the groups (the file was read whole)."""
        for number, key in enumerate(self.keys):
            found = self.groups.totals.get(key) or \
                self.groups.new(key, (self.file, self.first[number]))
            for index, rule in enumerate(self.rules):
                found[index][:] = [kind(array[number]) for kind, array in
                                   zip(_layout(rule.kind), self.totals[index], strict=True)]


def _layout(kind: str) -> list[type]:
    """Return the Python type of each of a kind's totals (int counts, float sums)."""
    return [type(total) for total in cells.totals(kind)]


class _Rows:
    """One batch's kept rows, read as the metric rules say (cells.Readers, as arrays)."""

    def __init__(self, text: dict, groups: np.ndarray, offsets: plain.Offsets):
        self.text, self.groups, self.count = text, groups, len(groups)
        self.offsets = offsets
        self.cache: dict = {}

    def fold(self, rule, totals: list[np.ndarray]) -> None:
        """Add the rows to one metric's totals."""
        everyone = np.ones(self.count, bool)
        reading = self.test(rule.where, "skip", everyone)[0] if rule.where else everyone
        if rule.kind == Kind.mean:
            values, blank = self.number(rule.mean, rule.blank, reading)
            counted = reading & ~blank
            group, value = self.groups[counted], values[counted]
            n, shift, total, squares = totals
            fresh, first = np.unique(group, return_index=True)
            unseen = n[fresh] == 0
            shift[fresh[unseen]] = value[first[unseen]]  # the shift: as the row path's
            shifted = value - shift[group]
            np.add.at(total, group, shifted)
            np.add.at(squares, group, shifted * shifted)
            n += np.bincount(group, minlength=n.size)
            return
        if rule.kind == Kind.proportion:
            met, counted = self.test(rule.share, rule.blank, reading)
        elif rule.count is not None:
            met, counted = self.test(rule.count, rule.blank, reading)
        else:
            met, counted = reading, reading
        group, size = self.groups[counted], totals[0].size
        totals[0] += np.bincount(self.groups[met & counted], minlength=size)
        if rule.kind == Kind.proportion:
            totals[1] += np.bincount(group, minlength=size)
            return
        per = rule.exposure.per
        if rule.exposure.sum is None:
            amounts = np.full(group.size, 1.0 / per)
        else:
            amounts = self.number(Value(column=rule.exposure.sum), "refuse", counted)[0]
            amounts = amounts[counted] / per
        np.add.at(totals[1], group, amounts)
        totals[2] += np.bincount(group, minlength=size)

    def test(self, condition: Condition, blank: str, reading: np.ndarray):
        """Return (met, counted) per row: cells.Readers.test, where None is not counted."""
        if condition.numeric():
            values, empty = self.number(condition, "skip" if blank == "fail" else blank,
                                        reading)
            low = -math.inf if condition.at_least is None else condition.at_least
            high = math.inf if condition.at_most is None else condition.at_most
            above = -math.inf if condition.above is None else condition.above
            below = math.inf if condition.below is None else condition.below
            met = (low <= values) & (values <= high) & (above < values) & (values < below)
        else:
            cell = self.text[condition.column]
            accepted = [condition.equals] if condition.equals is not None else \
                condition.among
            if any(not text.strip() for text in accepted):
                raise Declined  # a blank accepted text: the row path calls its cells blank
            met = plain.to_numpy(pc.is_in(cell, value_set=plain.strings(accepted)))
            # A blank cell fails a test as an unmatched one does; it differs only when
            # blanks are skipped (not counted) or refused: then look for them.
            empty = np.zeros(self.count, bool)
            unmatched = np.flatnonzero(~met & reading)
            if blank in ("skip", "refuse") and unmatched.size:
                empty[unmatched] = plain.blank(cell.take(plain.from_numpy(unmatched)))
                if blank == "refuse" and empty.any():
                    raise Declined
        met = met & ~empty & reading
        counted = reading & ~empty if blank != "fail" else reading
        return met, counted

    def number(self, value: Value, blank: str, reading: np.ndarray):
        """Return each row's number and whether it is blank, declining a problem the row
        path would name among the rows it reads."""
        key = (value.column, value.minutes)
        if key not in self.cache:
            self.cache[key] = self._minutes(*value.minutes) if value.minutes else \
                plain.numbers(self.text[value.column])
        values, empty, bad = self.cache[key]
        if (bad & reading).any() or (blank == "refuse" and (empty & reading).any()):
            raise Declined
        return values, empty

    def _minutes(self, first: str, last: str):
        """Return the minutes from one time to another, as cells.Readers._minutes."""
        empty, moments = np.zeros(self.count, bool), []
        for column in (first, last):
            if ("time", column) not in self.cache:
                local, blank = self.cache.get(("local", column)) or \
                    plain.times(self.text[column])
                self.cache["time", column] = self.offsets.utc(np.where(blank, DAY_US, local)), \
                    blank
            utc, blank = self.cache["time", column]
            moments.append(utc)
            empty |= blank
        microseconds = np.where(empty, 0, moments[1] - moments[0])
        if (np.abs(microseconds) >= EXACT_US).any():
            raise Declined
        return microseconds.astype(np.float64) / 1e6 / 60, empty, np.zeros(self.count, bool)
