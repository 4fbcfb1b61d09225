"""Words for people: how every number, effect, outcome and status is written.

One home for each, used by the reasons of a recommendation, the web pages, the
reports, the command line and the notebooks, so each thing reads the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Effect:
    """One metric's oriented effect at a look, with what it is compared against.

    ``estimate``, ``ci_low`` and ``ci_high`` are oriented (positive is better);
    ``threshold`` is the primary's minimum effect or a guardrail's margin.
    """

    name: str
    kind: str
    direction: str
    estimate: float
    ci_low: float
    ci_high: float
    threshold: float | None = None


def number(value: float) -> str:
    """Format a metric value: 2 decimals from 1 up, 3 significant digits below."""
    if not math.isfinite(value):
        return "unknown"
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
    points = f"{100 * value:.1f}"
    if threshold:
        points = points.removesuffix(".0")
    return f"{points} point" + ("" if points in ("1", "-1") else "s")


def _bare(kind: str, value: float) -> str:
    """Format an interval end without the unit (the unit follows the estimate)."""
    return f"{100 * value:.1f}" if kind == "proportion" else number(value)


def good_word(direction: str) -> str:
    """Return the noun for an improvement: 'rise' or 'drop'."""
    return "rise" if direction == "increase" else "drop"


def harm_verb(direction: str) -> str:
    """Return the verb for getting worse: 'fall' for higher-is-better, else 'rise'."""
    return "fall" if direction == "increase" else "rise"


def change(effect: Effect, *, start: bool = False) -> str:
    """Say how the metric moved, e.g. 'churn fell by 2.4 points (1.1 to 3.7)'."""
    sign = 1.0 if effect.direction == "increase" else -1.0
    raw = sign * effect.estimate
    low, high = sorted((sign * effect.ci_low, sign * effect.ci_high))
    name = effect.name[:1].upper() + effect.name[1:] if start else effect.name
    if not math.isfinite(raw):
        return f"{name} could not be estimated"
    if raw >= 0:
        verb, shown, lo, hi = "rose", raw, low, high
    else:
        verb, shown, lo, hi = "fell", -raw, -high, -low
    interval = (f"{_bare(effect.kind, lo)} to {_bare(effect.kind, hi)}"
                if math.isfinite(lo) and math.isfinite(hi) else "no interval")
    return f"{name} {verb} by {amount(effect.kind, shown)} ({interval})"


def worth(effect: Effect) -> str:
    """Say the minimum effect, e.g. 'the smallest drop worth scaling was 2 points'."""
    size = amount(effect.kind, effect.threshold or math.nan, threshold=True)
    return f"the smallest {good_word(effect.direction)} worth scaling was {size}"


def allowed(effect: Effect) -> str:
    """Say the margin, e.g. 'the 1.50 allowed'."""
    return f"the {amount(effect.kind, effect.threshold or math.nan, threshold=True)} allowed"


def capitalised(sentence: str) -> str:
    """Return the sentence with its first letter in upper case and a final full stop."""
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence.endswith(".") else sentence + "."
