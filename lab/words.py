"""Words for people: how every number, effect, outcome and status is written.

One home for each, used by the reasons of a recommendation, the web pages, the
reports, the command line and the notebooks, so each thing reads the same everywhere.
"""

from __future__ import annotations

import math


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


def capitalised(sentence: str) -> str:
    """Return the sentence with its first letter in upper case and a final full stop."""
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence.endswith(".") else sentence + "."
