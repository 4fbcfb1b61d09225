"""Numbers as people read them: money, counts, p and q, effects, intervals, lifts, dates."""

from __future__ import annotations

import math
from datetime import date, datetime

from lab.vocabulary import Kind
from lab.words.labels import MISSING


def points(value: float, *, signed: bool = False) -> str:
    """Write a proportion's difference in percentage points, without the unit.

    One decimal, or two significant digits below 0.1 point, so a tiny effect reads
    '0.0042', not '0.0'; zero never carries a sign ('−0.0').
    """
    shown = 100 * value + 0.0  # + 0.0 turns −0.0 into 0.0
    sign = "+" if signed else ""
    if shown == 0 or abs(shown) >= 0.095:
        return f"{shown:{sign}.1f}"
    return f"{shown:{sign}.2g}"


def number(value: float) -> str:
    """Format a metric value: 2 decimals from 1 up, 3 significant digits below."""
    if not math.isfinite(value):
        return "unknown"
    value += 0.0  # never '-0.00'
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def amount(kind: str, value: float, *, threshold: bool = False) -> str:
    """Format an absolute difference; proportions in percentage points."""
    if kind != "proportion":
        return number(value)
    if not math.isfinite(value):
        return "unknown"
    shown = points(value)
    if threshold:
        shown = shown.removesuffix(".0")
    return f"{shown} point" + ("" if shown in ("1", "-1") else "s")


def _bare(kind: str, value: float) -> str:
    """Format an interval end without the unit (the unit follows the estimate)."""
    return points(value) if kind == "proportion" else number(value)


def effect_scale(kind: str | None) -> tuple[float, str]:
    """Return the factor and the unit an effect of this kind is shown in."""
    if kind == Kind.proportion:
        return 100.0, "percentage points"
    if kind == Kind.rate:
        return 1.0, "events per unit of exposure"
    return 1.0, "difference in means" if kind == Kind.mean else "metric units"


def to_float(value: object) -> float:
    """Return value as a float; nan when it is missing (None, NaN, NA) or not a number."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def effect(value: object, kind: str | None) -> str:
    """Write a signed effect in its unit: '+2.4 points' for a proportion, '-1.50' else."""
    value = to_float(value)
    if not math.isfinite(value):
        return MISSING
    value += 0.0  # never '-0.00'
    if kind == Kind.proportion:
        return f"{points(value, signed=True)} points"
    return f"{value:+.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:+.2g}"


def interval(low: object, high: object, kind: str | None) -> str:
    """Write an interval in the unit of the effect it follows: '(+1.1 to +3.7)'."""
    ends = [to_float(low), to_float(high)]
    if not any(math.isfinite(end) for end in ends):
        return "(no interval)"
    shown = [effect(end, kind).removesuffix(" points") for end in ends]
    return f"({shown[0]} to {shown[1]})"


def money(amount: object, currency: str = "") -> str:
    """Write an amount with thousands separators and no cents: '12,500 EUR'."""
    value = to_float(amount)
    return f"{value:,.0f} {currency}".strip() if math.isfinite(value) else MISSING


def count(value: object) -> str:
    """Write a count or a size: whole numbers with separators, others as `number`."""
    value = to_float(value)
    if not math.isfinite(value):
        return MISSING
    return f"{value:,.0f}" if value.is_integer() else number(value)


def p_value(value: object) -> str:
    """Write a p-value to two significant digits, or '<0.001'."""
    value = to_float(value)
    if not math.isfinite(value):
        return MISSING
    return "<0.001" if value < 0.001 else f"{value:.2g}"


def q_value(value: object) -> str:
    """Write a portfolio q-value (Benjamini–Hochberg) the way p-values are written."""
    return p_value(value)


def p_text(value: object) -> str:
    """Write a p-value as people say it: 'p = 0.016', 'p < 0.001'."""
    shown = p_value(value)
    return f"p {shown[0]} {shown[1:]}" if shown.startswith("<") else f"p = {shown}"


def percent(value: object) -> str:
    """Write a share as a whole percentage: '24%'."""
    value = to_float(value)
    return f"{value:.0%}" if math.isfinite(value) else MISSING


def lift(value: object, low: object = None, high: object = None, sep: str = " ") -> str:
    """Write a relative lift, with its interval when given: '+8.1% (+2.0% to +14.6%)'."""
    shown = [f"{v:+.1%}" if math.isfinite(v) else MISSING
             for v in (to_float(value), to_float(low), to_float(high))]
    if shown[0] == MISSING or (low is None and high is None):
        return shown[0]
    return f"{shown[0]}{sep}({shown[1]} to {shown[2]})"


def day(value: object) -> str:
    """Write the day of a date or a moment: '2026-01-05'."""
    moment = _moment(value)
    return moment.strftime("%Y-%m-%d") if moment is not None else MISSING


def when(value: object) -> str:
    """Write a date as '2026-01-05' and a moment as '2026-01-05 10:50'."""
    moment = _moment(value)
    if moment is None:
        return MISSING
    return moment.strftime("%Y-%m-%d %H:%M" if isinstance(moment, datetime) else "%Y-%m-%d")


def _moment(value: object) -> date | None:
    """Return a date or datetime (pandas' Timestamp is one) from what the data holds."""
    if isinstance(value, str):
        try:
            return (date.fromisoformat(value) if len(value) == 10
                    else datetime.fromisoformat(value))
        except ValueError:
            return None
    if not isinstance(value, date) or value != value:  # NaT is a date unequal to itself
        return None
    return value
