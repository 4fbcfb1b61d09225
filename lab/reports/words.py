"""How reports say numbers, dates and outcomes to managers."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from lab.charts import format_effect, format_interval, number

__all__ = ["ANALYSIS_WORDS", "DESIGN_WORDS", "OUTCOME_HEADLINES", "STATUS_WORDS", "day",
           "format_effect", "format_interval", "lift", "money", "p_value", "share"]

OUTCOME_HEADLINES = {
    "scale_up": "Recommendation: scale up",
    "revise": "Recommendation: revise",
    "withdraw": "Recommendation: withdraw",
    "continue": "Recommendation: continue collecting data",
}
STATUS_WORDS = {"draft": "draft (plan not locked)", "running": "running",
                "scaled_up": "scaled up", "revised": "revised", "withdrawn": "withdrawn"}
DESIGN_WORDS = {
    "holdout": "holdout: the scope's customers are split at random into pilot and control "
               "(the strongest evidence)",
    "diff-in-diff": "difference-in-differences: the pilot scope against a comparable scope, "
                    "before and during the pilot",
    "baseline": "baseline: the pilot scope before against during (weak evidence: time "
                "effects cannot be separated from the pilot)",
}
ANALYSIS_WORDS = {
    "sequential": "group-sequential: a look every period, intervals kept honest by "
                  "O'Brien-Fleming boundaries",
    "always-valid": "always-valid: look at any time; needs about 1.8 times the sample",
    "fixed": "fixed horizon: one look at the planned end",
}


def money(amount: object, currency: str) -> str:
    """Say an amount as '12,500 EUR'."""
    value = number(amount)
    return f"{value:,.0f} {currency}" if math.isfinite(value) else "n/a"


def day(value: object) -> str:
    """Say a date as 2026-01-05, or 'n/a' when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "n/a"
    if isinstance(value, datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def p_value(value: object) -> str:
    """Say a p-value with three decimals, '<0.001' below that."""
    value = number(value)
    if not math.isfinite(value):
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def share(value: object) -> str:
    """Say a fraction as a whole percentage."""
    value = number(value)
    return f"{value:.0%}" if math.isfinite(value) else "n/a"


def lift(value: object, low: object, high: object, sep: str = " ") -> str:
    """Say a relative lift with its interval: '+8.1% (+2.0% to +14.6%)'."""
    values = [number(v) for v in (value, low, high)]
    if not math.isfinite(values[0]):
        return "n/a"
    text = [f"{v:+.1%}" if math.isfinite(v) else "n/a" for v in values]
    return f"{text[0]}{sep}({text[1]} to {text[2]})"
