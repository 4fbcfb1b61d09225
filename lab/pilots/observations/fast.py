"""The fast path of the import: rows that are plainly valid, converted with no detours.

Most rows of a large file are valid and name a pilot, metric and period seen before.
For those, one converter per pilot and metric (made when the full check first accepts
them) does every check inline and builds the stored tuple; anything it does not accept
outright raises, and the full check in rows.py then says why, or accepts the row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from lab.models import VALUE_COLUMNS
from lab.pilots.observations.targets import Target

# Counts beyond this are typos, and would overflow a 64-bit integer column anyway.
LARGEST_COUNT = 10**15


def converter(target: Target, index: dict[str, int], width: int,
              periods: dict[str, object]) -> Callable[[list[str]], tuple] | None:
    """Return a fast converter of one target's rows, or None if the header lacks columns.

    It raises (ValueError, KeyError...) on anything it does not accept outright: an
    unseen period, a blank or unreadable number, a value out of range. Everything is
    inlined per kind because this runs once per row.
    """
    if any(name not in index for name in VALUE_COLUMNS[target.kind]):
        return None
    foreign = [index[name] for other, names in VALUE_COLUMNS.items() if other != target.kind
               for name in names if name in index]
    # Always a tuple of cells (itemgetter of a single index would return the cell),
    # compared with a tuple of blanks: faster than any() on the path every row takes.
    elsewhere = itemgetter(*foreign, foreign[0]) if foreign else (lambda record: ())
    blanks = ("",) * (len(foreign) + 1) if foreign else ()
    where = Where(target.pilot_id, target.metric_id, target.slots, width, index["arm"],
                  index.get("phase"), index["period"], periods, elsewhere, blanks)
    cells = [index[name] for name in VALUE_COLUMNS[target.kind]]
    return FAST[target.kind](where, *cells)


@dataclass(frozen=True)
class Where:
    """What a fast converter needs besides the value cells."""

    pilot_id: int
    metric_id: int
    slots: frozenset[tuple[str, str]]
    width: int
    arm_at: int
    phase_at: int | None
    period_at: int
    periods: dict[str, object]
    elsewhere: Callable[[list[str]], tuple]
    blanks: tuple[str, ...]

    def parts(self) -> tuple:
        """Return the fields in order, for unpacking into a converter's locals."""
        return (self.pilot_id, self.metric_id, self.slots, self.width, self.arm_at,
                self.phase_at, self.period_at, self.periods, self.elsewhere, self.blanks)


def _fast_proportion(where: Where, s_at: int, t_at: int) -> Callable[[list[str]], tuple]:
    """Return the fast converter of a proportion metric's rows."""
    (pilot_id, metric_id, slots, width, arm_at, phase_at, period_at, periods, elsewhere,
     blanks) = where.parts()

    def convert(record: list[str]) -> tuple:
        arm, phase = record[arm_at], (record[phase_at] if phase_at is not None else "")
        successes, trials = int(record[s_at]), int(record[t_at])
        if (len(record) == width and (arm, phase or "during") in slots
                and 0 <= successes <= trials <= LARGEST_COUNT and elsewhere(record) == blanks):
            return (pilot_id, metric_id, arm, phase or "during", periods[record[period_at]],
                    successes, trials, None, None, None, None, None)
        raise ValueError(record)

    return convert


def _fast_mean(where: Where, n_at: int, mean_at: int, sd_at: int) -> Callable[[list[str]],
                                                                              tuple]:
    """Return the fast converter of a mean metric's rows."""
    (pilot_id, metric_id, slots, width, arm_at, phase_at, period_at, periods, elsewhere,
     blanks) = where.parts()
    isfinite = math.isfinite

    def convert(record: list[str]) -> tuple:
        arm, phase = record[arm_at], (record[phase_at] if phase_at is not None else "")
        n, mean, sd = int(record[n_at]), float(record[mean_at]), float(record[sd_at])
        if (len(record) == width and (arm, phase or "during") in slots
                and 1 <= n <= LARGEST_COUNT and isfinite(mean) and isfinite(sd) and sd >= 0
                and elsewhere(record) == blanks):
            return (pilot_id, metric_id, arm, phase or "during", periods[record[period_at]],
                    None, None, n, mean, sd, None, None)
        raise ValueError(record)

    return convert


def _fast_rate(where: Where, events_at: int, exposure_at: int) -> Callable[[list[str]], tuple]:
    """Return the fast converter of a rate metric's rows."""
    (pilot_id, metric_id, slots, width, arm_at, phase_at, period_at, periods, elsewhere,
     blanks) = where.parts()
    isfinite = math.isfinite

    def convert(record: list[str]) -> tuple:
        arm, phase = record[arm_at], (record[phase_at] if phase_at is not None else "")
        events, exposure = int(record[events_at]), float(record[exposure_at])
        if (len(record) == width and (arm, phase or "during") in slots
                and 0 <= events <= LARGEST_COUNT and isfinite(exposure) and exposure > 0
                and elsewhere(record) == blanks):
            return (pilot_id, metric_id, arm, phase or "during", periods[record[period_at]],
                    None, None, None, None, None, events, exposure)
        raise ValueError(record)

    return convert


FAST = {"proportion": _fast_proportion, "mean": _fast_mean, "rate": _fast_rate}
