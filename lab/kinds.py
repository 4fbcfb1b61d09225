"""What each metric kind records: its value columns, which hold whole numbers, their bounds.

Declared once and read wherever values are accepted or stored: the import's full check
and its inlined fast path, the observation table's layout and CHECK constraints, the
API's schema, and the summaries `lab.check` builds from rows. So a value is accepted,
or refused in the same words, wherever it comes from.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from lab.vocabulary import Kind

# Counts beyond this are typos, and would overflow a 64-bit integer column anyway.
LARGEST_COUNT = 10**15
# Means and sds beyond a trillion are typos too (a weekly mean of money in cents stays
# far below). With these bounds every sufficient statistic the summaries compute
# (n·mean² ≤ 10¹⁵·10²⁴) and every sum the checksum takes stays far inside a double,
# so no accepted row can overflow an aggregate on SQLite or PostgreSQL.
LARGEST_VALUE = 10**12


NUMERALS = ("must be a plain number in the digits 0-9 (no '_' between digits, no other "
            "scripts' digits)")


def plain_numeral(text: str) -> bool:
    """Tell whether number text uses ASCII only and no digit separators.

    Python's int() and float() read '1_0' as 10 and Arabic-Indic or full-width digits
    as numbers; people and files meaning those are rare, and mistakes more likely. Every
    entrance (CSV, API, forms) reads numbers through this rule first.
    """
    return text.isascii() and "_" not in text


def numeral_problem(text: str) -> str | None:
    """Say why number text is not plainly written, or None."""
    return None if plain_numeral(text) else f"{NUMERALS}, not '{text}'"


def plain_number(value: object) -> object:
    """Refuse number text that int() and float() would read but people rarely mean.

    A pydantic before-validator for every number a form or a JSON string may carry:
    '1_0', Arabic-Indic or full-width digits are refused, as in the CSV import.
    """
    if isinstance(value, str) and (problem := numeral_problem(value.strip())):
        raise ValueError(problem)
    return value


def did_you_mean(value: float) -> str:
    """Suggest the fraction a percentage was probably meant as (5 -> 0.05), or nothing."""
    if 1 <= value < 100:
        return f": did you mean {value / 100:g}?"
    return ""


@dataclass(frozen=True)
class ValueColumn:
    """One value column of an observation: whole numbers or not, and the bounds it keeps.

    Every value must be finite. `least` and `most` are inclusive, `above` is exclusive,
    and `at_most` names the column of the same row this one may not exceed.
    """

    name: str
    whole: bool
    least: int | None = None
    above: int | None = None
    most: int | None = None
    at_most: str | None = None
    # The column of the same row that, at 0, holds this one at 0 (no events without
    # exposure: a period with none adds nothing).
    nothing_without: str | None = None

    @property
    def lowest(self) -> float:
        """Return the smallest value accepted (so `lowest <= x <= highest` checks x).

        An int for whole numbers, else a float: the fast path compares like with like.
        """
        if self.least is not None:
            return self.least if self.whole else float(self.least)
        if self.above is not None:
            return self.above + 1 if self.whole else math.nextafter(self.above, math.inf)
        return -sys.float_info.max  # also refuses -inf and NaN

    @property
    def highest(self) -> float:
        """Return the largest value accepted (an int for whole numbers, else a float)."""
        if self.most is not None:
            return self.most if self.whole else float(self.most)
        return sys.float_info.max

    def unreadable(self, shown: object) -> str:
        """Say that text is not a number of this column's type."""
        if isinstance(shown, str) and not plain_numeral(shown):
            return f"{NUMERALS}, not '{shown}'"
        return f"must be {'a whole number' if self.whole else 'a number'}, not '{shown}'"

    def problem(self, value: float, shown: object) -> str | None:
        """Say why a number does not fit this column (`shown` as written), or None."""
        if self.whole and not (math.isfinite(value) and value == int(value)):
            return self.unreadable(shown)
        if not math.isfinite(value):
            return f"must be a finite number, not '{shown}'"
        if self.least is not None and value < self.least:
            return f"must be at least {self.least}, not {shown}"
        if self.above is not None and value <= self.above:
            return f"must be more than {self.above}, not {shown}"
        if self.most is not None and value > self.most:
            return f"must be at most {self.most}, not {shown}"
        return None

    def without(self, value: float, other: float) -> str | None:
        """Say why this value cannot be non-zero with the `nothing_without` column at 0."""
        if self.nothing_without is None or other != 0 or value == 0:
            return None
        return (f"{_plain(value)} {self.name} with 0 {self.nothing_without}: a period "
                f"without {self.nothing_without} has no {self.name}")

    def exceeding(self, value: float, other: float) -> str | None:
        """Say why this value exceeds the `at_most` column's value in its row, or None."""
        if self.at_most is None or value <= other:
            return None
        return f"{_plain(value)} {self.name} exceed {_plain(other)} {self.at_most}"


def outside_declared(metric: str, bounds: tuple[float | None, float | None],
                     mean: float | None) -> str | None:
    """Say why a mean lies outside the bounds its metric's plan declares, or None.

    A mean metric may declare `least` and `most` in its plan (a 0-10 score); the
    import and `lab.check` hold every period's mean to them.
    """
    least, most = bounds
    if mean is None or (least is None and most is None):
        return None
    declared = (f"metric '{metric}' declares means from "
                f"{'any' if least is None else f'{least:g}'} to "
                f"{'any' if most is None else f'{most:g}'}")
    if least is not None and mean < least:
        return f"must be at least {least:g} ({declared}), not {mean:g}"
    if most is not None and mean > most:
        return f"must be at most {most:g} ({declared}), not {mean:g}"
    return None


def _plain(number: float) -> str:
    """Write a whole number without a decimal point, as the row would."""
    return str(int(number)) if float(number).is_integer() else str(number)


KIND_VALUES: dict[Kind, tuple[ValueColumn, ...]] = {
    Kind.proportion: (
        ValueColumn("successes", whole=True, least=0, most=LARGEST_COUNT, at_most="trials"),
        ValueColumn("trials", whole=True, least=0, most=LARGEST_COUNT),
    ),
    Kind.mean: (
        ValueColumn("n", whole=True, least=1, most=LARGEST_COUNT),
        # A profit or a balance change can be negative.
        ValueColumn("mean", whole=False, least=-LARGEST_VALUE, most=LARGEST_VALUE),
        ValueColumn("sd", whole=False, least=0, most=LARGEST_VALUE),
    ),
    Kind.rate: (
        ValueColumn("events", whole=True, least=0, most=LARGEST_COUNT,
                    nothing_without="exposure"),
        # 0 allowed: a week with no exposure is logged, and adds nothing.
        ValueColumn("exposure", whole=False, least=0, most=LARGEST_COUNT),
    ),
}

# The columns each kind fills (the others stay blank), and all of them in stored order.
VALUE_COLUMNS: dict[Kind, tuple[str, ...]] = {
    kind: tuple(column.name for column in columns) for kind, columns in KIND_VALUES.items()}
VALUE_NAMES: tuple[str, ...] = tuple(name for names in VALUE_COLUMNS.values() for name in names)
COLUMNS_BY_NAME: dict[str, ValueColumn] = {
    column.name: column for columns in KIND_VALUES.values() for column in columns}
