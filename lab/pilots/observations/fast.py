"""The fast path of the import: rows that are plainly valid, converted with no detours.

Most rows of a large file are valid and name a pilot, metric and period seen before.
For those, one converter per pilot and metric (made when the full check first accepts
them) does every check inline and builds the stored tuple; anything it does not accept
outright raises, and the full check in rows.py then says why, or accepts the row.

The bounds and number types are those `lab.kinds` declares, read once into constants
here: each bound is one chained comparison `lowest <= value <= highest`, which also
refuses NaN and infinities; the number cells are ASCII with no '_' (`kinds.plain_numeral`,
inlined). The stored tuples are written out in `VALUE_NAMES` order;
tests/db/test_import_paths.py holds both paths to the same rows and tuples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from lab.kinds import COLUMNS_BY_NAME, VALUE_COLUMNS
from lab.pilots.observations.targets import Target
from lab.vocabulary import Kind, Phase

DURING = str(Phase.during)  # a blank phase means during


def _range(name: str) -> tuple[type, float, float]:
    """Return a column's number type and its inclusive bounds, as the fast path reads them."""
    column = COLUMNS_BY_NAME[name]
    return (int if column.whole else float), column.lowest, column.highest


def converter(target: Target, index: dict[str, int], width: int,
              periods: dict[str, dict[str, object]]) -> Callable[[list[str]], tuple] | None:
    """Return a fast converter of one target's rows, or None if the header lacks columns.

    `periods` maps each phase to the period texts the full check accepted in that
    phase's window of this pilot's plan, and their stored values. It raises
    (ValueError, KeyError...) on anything it does not accept outright: an unseen period,
    a blank or unreadable number, a value out of range. Everything is inlined per kind
    because this runs once per row.
    """
    # Rows of a comparison-scopes pilot, and files with a scope column, take the full
    # check: their scopes are checked there (such rows are few).
    if (any(name not in index for name in VALUE_COLUMNS[target.kind]) or "scope" in index
            or target.comparisons):
        return None
    foreign = [index[name] for other, names in VALUE_COLUMNS.items() if other != target.kind
               for name in names if name in index]
    # Always a tuple of cells (itemgetter of a single index would return the cell),
    # compared with a tuple of blanks: faster than any() on the path every row takes.
    elsewhere = itemgetter(*foreign, foreign[0]) if foreign else (lambda record: ())
    blanks = ("",) * (len(foreign) + 1) if foreign else ()
    where = Where(target.pilot_id, target.metric_id, target.slots, width, index["arm"],
                  index.get("phase"), index["period"], periods, elsewhere, blanks,
                  target.bounds)
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
    periods: dict[str, dict[str, object]]
    elsewhere: Callable[[list[str]], tuple]
    blanks: tuple[str, ...]
    bounds: tuple[float | None, float | None] = (None, None)

    def parts(self) -> tuple:
        """Return the fields in order, for unpacking into a converter's locals."""
        return (self.pilot_id, self.metric_id, self.slots, self.width, self.arm_at,
                self.phase_at, self.period_at, self.periods, self.elsewhere, self.blanks)


def _fast_proportion(where: Where, s_at: int, t_at: int) -> Callable[[list[str]], tuple]:
    """Return the fast converter of a proportion metric's rows."""
    (pilot_id, metric_id, slots, width, arm_at, phase_at, period_at, periods, elsewhere,
     blanks) = where.parts()
    during = DURING
    s_type, s_low, s_high = _range("successes")
    t_type, t_low, t_high = _range("trials")
    # With successes <= trials, one chain holds both columns' bounds: exactly, as long
    # as they share them (0 to LARGEST_COUNT); otherwise it refuses more, never less.
    low, high = max(s_low, t_low), min(s_high, t_high)

    def convert(record: list[str]) -> tuple:
        arm = record[arm_at]
        phase = (record[phase_at] or during) if phase_at is not None else during
        cells = record[s_at] + record[t_at]
        successes, trials = s_type(record[s_at]), t_type(record[t_at])
        if (len(record) == width and cells.isascii() and "_" not in cells
                and (arm, phase) in slots
                and low <= successes <= trials <= high and elsewhere(record) == blanks):
            return (pilot_id, metric_id, arm, phase, periods[phase][record[period_at]],
                    successes, trials, None, None, None, None, None, "")
        raise ValueError(record)

    return convert


def _fast_mean(where: Where, n_at: int, mean_at: int, sd_at: int) -> Callable[[list[str]],
                                                                              tuple]:
    """Return the fast converter of a mean metric's rows."""
    (pilot_id, metric_id, slots, width, arm_at, phase_at, period_at, periods, elsewhere,
     blanks) = where.parts()
    during = DURING
    n_type, n_low, n_high = _range("n")
    mean_type, mean_low, mean_high = _range("mean")
    # The metric's own bounds from its plan, where it declares them, narrow the kind's.
    least, most = where.bounds
    mean_low = mean_low if least is None else max(mean_low, float(least))
    mean_high = mean_high if most is None else min(mean_high, float(most))
    sd_type, sd_low, sd_high = _range("sd")

    def convert(record: list[str]) -> tuple:
        arm = record[arm_at]
        phase = (record[phase_at] or during) if phase_at is not None else during
        cells = record[n_at] + record[mean_at] + record[sd_at]
        n, mean, sd = n_type(record[n_at]), mean_type(record[mean_at]), sd_type(record[sd_at])
        if (len(record) == width and cells.isascii() and "_" not in cells
                and (arm, phase) in slots
                and n_low <= n <= n_high and mean_low <= mean <= mean_high
                and sd_low <= sd <= sd_high and elsewhere(record) == blanks):
            return (pilot_id, metric_id, arm, phase, periods[phase][record[period_at]],
                    None, None, n, mean, sd, None, None, "")
        raise ValueError(record)

    return convert


def _fast_rate(where: Where, events_at: int, exposure_at: int) -> Callable[[list[str]], tuple]:
    """Return the fast converter of a rate metric's rows."""
    (pilot_id, metric_id, slots, width, arm_at, phase_at, period_at, periods, elsewhere,
     blanks) = where.parts()
    during = DURING
    events_type, events_low, events_high = _range("events")
    exposure_type, exposure_low, exposure_high = _range("exposure")

    def convert(record: list[str]) -> tuple:
        arm = record[arm_at]
        phase = (record[phase_at] or during) if phase_at is not None else during
        cells = record[events_at] + record[exposure_at]
        events, exposure = events_type(record[events_at]), exposure_type(record[exposure_at])
        if (len(record) == width and cells.isascii() and "_" not in cells
                and (arm, phase) in slots
                and events_low <= events <= events_high
                and exposure_low <= exposure <= exposure_high and (exposure or not events)
                and elsewhere(record) == blanks):
            return (pilot_id, metric_id, arm, phase, periods[phase][record[period_at]],
                    None, None, None, None, None, events, exposure, "")
        raise ValueError(record)

    return convert


FAST = {Kind.proportion: _fast_proportion, Kind.mean: _fast_mean, Kind.rate: _fast_rate}
