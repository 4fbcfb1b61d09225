"""The columnar path of the observation import: a plain file checked a block at a time.

The row path (csv.reader, then one fast.py converter per row) spends some 5 µs of
Python on each row, more than the insert of a million rows leaves room for. So a file
given by path that is plain (plain.PlainFile: no quote, NUL, lone carriage return, blank
line or line past the cap; UTF-8) is read here first: pyarrow parses a block of its
lines into text columns, and numpy checks the whole block against exactly what the fast
converters accept, then builds the tuples they would build, row for row and type for
type (tests/db/test_import_bulk.py holds both paths to the same tuples).

Anything a fast converter would not accept outright (a pilot or metric not found, an
arm or phase the design lacks, a period outside its window, a number cell that is not
bare digits or that Arrow's parser does not take, a value out of bounds, a foreign
column not empty) raises Declined. The importer then rolls the file's writes back to a
savepoint and reads it row by row, which accepts what it accepts and names every
problem by line and column, as ever. Declining costs one more read of the file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lab.kinds import COLUMNS_BY_NAME, VALUE_COLUMNS, VALUE_NAMES
from lab.pilots.observations import fast, plain
from lab.pilots.observations.plain import Declined
from lab.pilots.observations.problems import Problems
from lab.pilots.observations.rows import SCOPE, RowChecker
from lab.pilots.observations.summaries import ARM_ORDER, PHASE_ORDER, Taken
from lab.pilots.observations.targets import Target, Targets, window
from lab.vocabulary import Kind

# What pyarrow and numpy raise on a file they cannot read as plain: all of it declines.
UNREADABLE = (Declined, pa.ArrowException, OSError, UnicodeDecodeError, ValueError,
              csv.Error)
# A whole-number cell the columnar path reads: bare ASCII digits. Arrow's integer parser
# also takes a sign and '0x' hexadecimal, which int() refuses; int() takes spaces, '+'
# and '_', which this refuses: those rows take the row path.
DIGITS = "^[0-9]+$"


def blocks(path: str | Path, targets: Targets, period_value: Callable[[date], object],
           limits: tuple[int, int], taken: Taken | None = None
           ) -> Iterator[tuple[list[tuple], int, dict[str, np.ndarray]]]:
    """Yield each block's rows as stored, the bytes of the file read so far, and the
    block's summary columns (for `taken`, which sees each pilot before its rows go in).

    Raises Declined (or one of UNREADABLE) wherever the row path must read the file;
    the caller undoes whatever it wrote of it. Row i of the file (0-based, after the
    header) is line i + 2: a plain file has no blank line and no line inside a cell.
    """
    with open(path, "rb") as handle:
        source = plain.PlainFile(handle, *limits)
        checker = RowChecker(source.header(","), targets, Problems(), period_value)
        if not checker.valid or SCOPE in checker.index:
            raise Declined  # the row path names the header's problem; scopes are few
        block = _Block(checker)
        at = {name: f"c{i}" for name, i in checker.index.items()}
        rows = 0
        for batch in source.batches(checker.width, at, ","):
            stored = block.rows({name: batch.column(column) for name, column in at.items()},
                                batch.num_rows)
            rows += len(stored)
            if taken is not None:
                taken.first_sight(np.unique(block.part["pilot"]).tolist())
            yield stored, source.bytes, block.part
        source.finish(rows)


class _Block:
    """One header's checks, made on a block of rows at once."""

    def __init__(self, checker: RowChecker):
        self.checker = checker
        self.has_phase = "phase" in checker.index
        self.value_names = [name for name in VALUE_NAMES if name in checker.index]
        self.part: dict[str, np.ndarray] = {}  # the last block's summary columns

    def rows(self, columns: dict[str, pa.Array], count: int) -> list[tuple]:
        """Return the block's rows as the fast converters store them, or raise Declined."""
        pilots, pilot_codes = _coded(columns["pilot"])
        metrics, metric_codes = _coded(columns["metric"])
        pairs, group = _distinct(pilot_codes * len(metrics) + metric_codes,
                                 len(pilots) * len(metrics))
        found = [self._target(pilots[code // len(metrics)], metrics[code % len(metrics)])
                 for code in pairs.tolist()]
        arms, arm_codes = _coded(columns["arm"])
        if self.has_phase:
            phases, phase_codes = _coded(columns["phase"])
            phases = [phase or fast.DURING for phase in phases]  # blank means during
        else:
            phases, phase_codes = [fast.DURING], np.zeros(count, np.int64)
        self._check_slots(found, group, arms, arm_codes, phases, phase_codes)
        pilot_ids = np.array([target.pilot_id for target in found], np.int64)[group]
        metric_ids = np.array([target.metric_id for target in found], np.int64)[group]
        periods, days = self._periods(found, group, phases, phase_codes, columns["period"])
        values, numbers, kinds = self._values(found, group, columns, count)
        self.part = _summaries(pilot_ids, metric_ids, arms, arm_codes, phases, phase_codes,
                               days, numbers, kinds)
        return list(zip(pilot_ids.tolist(), metric_ids.tolist(),
                        _objects(arms)[arm_codes].tolist(),
                        _objects(phases)[phase_codes].tolist(), periods,
                        *values, [""] * count, strict=True))

    def _target(self, pilot: str, metric: str) -> Target:
        target = self.checker.fast_target((pilot, metric))
        if target is None:
            raise Declined  # not found, or its rows take the full check
        return target

    def _check_slots(self, found: list[Target], group: np.ndarray, arms: list[str],
                     arm_codes: np.ndarray, phases: list[str], phase_codes: np.ndarray) -> None:
        """Decline an (arm, phase) the pilot's design lacks."""
        combined = (group * len(arms) + arm_codes) * len(phases) + phase_codes
        distinct, _ = _distinct(combined, len(found) * len(arms) * len(phases))
        target_arm, phase_of = np.divmod(distinct, len(phases))
        target_of, arm_of = np.divmod(target_arm, len(arms))
        for target, arm, phase in zip(target_of.tolist(), arm_of.tolist(), phase_of.tolist(),
                                      strict=True):
            if (arms[arm], phases[phase]) not in found[target].slots:
                raise Declined

    def _periods(self, found: list[Target], group: np.ndarray, phases: list[str],
                 phase_codes: np.ndarray, column: pa.Array) -> tuple[list, np.ndarray]:
        """Return each row's stored period and its day (ordinal), declining a text that
        is not a YYYY-MM-DD date or a period outside its phase's window (as rows.Window
        checks them, but each distinct text of the block read once, not once a pilot)."""
        texts, codes = _coded(column)
        days, stored = [], []
        for text in texts:
            if len(text) != 10 or text[4] != "-" or text[7] != "-":
                raise Declined
            day = date.fromisoformat(text)  # a ValueError declines
            days.append(day.toordinal())
            stored.append(self.checker.period_value(day))
        bounds = np.array([[[day.toordinal() for day in window(phase, target.start, target.end)]
                            for phase in phases] for target in found], np.int64)
        day = np.array(days, np.int64)[codes]
        first, last = bounds[group, phase_codes, 0], bounds[group, phase_codes, 1]
        if not ((first <= day) & (day <= last)).all():
            raise Declined
        return _objects(stored)[codes].tolist(), day

    def _values(self, found: list[Target], group: np.ndarray, columns: dict[str, pa.Array],
                count: int) -> tuple[list[list], dict[str, np.ndarray], np.ndarray]:
        """Return the seven value columns, None where the row's kind has no such column;
        and, for the summaries, the numbers (0 where none) and each row's kind."""
        kinds = np.array([target.kind for target in found], object)[group]
        numbers: dict[str, np.ndarray] = {}
        values = []
        for name in VALUE_NAMES:
            column = COLUMNS_BY_NAME[name]
            owner = next(kind for kind, names in VALUE_COLUMNS.items() if name in names)
            mine = kinds == owner
            if name not in self.value_names:
                if mine.any():
                    raise Declined  # the row path names the missing column
                values.append([None] * count)
                continue
            text = columns[name]
            if (plain.empty(text) != ~mine).any():
                raise Declined  # a needed cell blank, or a foreign one not empty
            parsed = _number_cells(text.filter(plain.from_numpy(mine)), column.whole)
            numbers[name] = full = np.zeros(count, parsed.dtype)
            full[mine] = parsed
            cells = np.full(count, None, object)
            cells[mine] = parsed.tolist()
            values.append(cells.tolist())
        self._check_bounds(found, group, kinds, numbers)
        return values, numbers, kinds

    @staticmethod
    def _check_bounds(found: list[Target], group: np.ndarray, kinds: np.ndarray,
                      numbers: dict[str, np.ndarray]) -> None:
        """Decline a value the fast converters would refuse: their chains, row by row."""
        def within(name: str, rows: np.ndarray, low=None, high=None) -> np.ndarray:
            value = numbers[name][rows]
            low = COLUMNS_BY_NAME[name].lowest if low is None else low
            high = COLUMNS_BY_NAME[name].highest if high is None else high
            return (low <= value) & (value <= high)  # NaN fails both, as in the chain

        for kind in {target.kind for target in found}:
            rows = kinds == kind
            if kind == Kind.proportion:
                successes, trials = numbers["successes"][rows], numbers["trials"][rows]
                low = max(COLUMNS_BY_NAME["successes"].lowest,
                          COLUMNS_BY_NAME["trials"].lowest)
                high = min(COLUMNS_BY_NAME["successes"].highest,
                           COLUMNS_BY_NAME["trials"].highest)
                fine = (low <= successes) & (successes <= trials) & (trials <= high)
            elif kind == Kind.mean:
                least, most = _declared(found, group[rows])
                fine = within("n", rows) & within("sd", rows) & within(
                    "mean", rows, np.maximum(COLUMNS_BY_NAME["mean"].lowest, least),
                    np.minimum(COLUMNS_BY_NAME["mean"].highest, most))
            else:
                fine = (within("events", rows) & within("exposure", rows)
                        & ((numbers["exposure"][rows] != 0) | (numbers["events"][rows] == 0)))
            if not fine.all():
                raise Declined


def _summaries(pilot_ids: np.ndarray, metric_ids: np.ndarray, arms: list[str],
               arm_codes: np.ndarray, phases: list[str], phase_codes: np.ndarray,
               days: np.ndarray, numbers: dict[str, np.ndarray], kinds: np.ndarray
               ) -> dict[str, np.ndarray]:
    """Return the block's summary columns (summaries.TAKEN_COLUMNS), as the summary query
    computes them: n, total and (n−1)·sd·sd by the same operations on the same doubles."""
    n, total = np.zeros(len(kinds)), np.zeros(len(kinds))
    total_sq = np.full(len(kinds), np.nan)
    for kind, (size, amount) in {Kind.proportion: ("trials", "successes"),
                                 Kind.mean: ("n", None),
                                 Kind.rate: ("exposure", "events")}.items():
        rows = kinds == kind
        if not rows.any():
            continue
        n[rows] = numbers[size][rows].astype(np.float64)
        if amount is not None:
            total[rows] = numbers[amount][rows].astype(np.float64)
            continue
        total[rows] = n[rows] * numbers["mean"][rows]
        total_sq[rows] = (n[rows] - 1) * numbers["sd"][rows] * numbers["sd"][rows]
    return {"pilot": pilot_ids, "metric": metric_ids,
            "arm": np.array([ARM_ORDER.index(arm) for arm in arms], np.int8)[arm_codes],
            "phase": np.array([PHASE_ORDER.index(phase) for phase in phases],
                              np.int8)[phase_codes],
            "day": days.astype(np.int32), "n": n, "total": total, "total_sq": total_sq}


def _declared(found: list[Target], groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each mean row's declared bounds from its plan (±inf where none)."""
    least = np.array([-np.inf if target.bounds[0] is None else float(target.bounds[0])
                      for target in found])
    most = np.array([np.inf if target.bounds[1] is None else float(target.bounds[1])
                     for target in found])
    return least[groups], most[groups]


def _number_cells(text: pa.Array, whole: bool) -> np.ndarray:
    """Return the cells' numbers as int() or float() reads them, or decline."""
    if whole:
        if not plain.to_numpy(pc.match_substring_regex(text, DIGITS)).all():
            raise Declined
        return plain.to_numpy(pc.cast(text, pa.int64()))
    values, _, _ = plain.numbers(text)  # no cell is empty here
    return values


def _distinct(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct codes (ascending) and each row's index into them: counted,
    not sorted, while the codes are small (sorting each block was a sixth of the path)."""
    if size > 1 << 24:
        return np.unique(codes, return_inverse=True)
    present = np.bincount(codes, minlength=size) > 0
    index = np.cumsum(present) - 1
    return np.flatnonzero(present), index[codes]


def _objects(values: list) -> np.ndarray:
    """Return Python objects as a one-dimensional object array (never split further)."""
    array = np.empty(len(values), object)
    array[:] = values
    return array


def _coded(column: pa.Array) -> tuple[list[str], np.ndarray]:
    """Return a text column's distinct values and each row's index into them."""
    encoded = pc.dictionary_encode(column)
    return encoded.dictionary.to_pylist(), plain.to_numpy(encoded.indices).astype(np.int64)
