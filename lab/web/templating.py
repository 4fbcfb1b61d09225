"""Jinja filters and globals: numbers, effects and outcomes written the way people read them."""

from __future__ import annotations

import math
from datetime import date, datetime

from flask import Flask
from flask_login import current_user

from lab.charts import format_effect, format_interval

OUTCOME_WORDS = {"scale_up": "Scale up", "revise": "Revise", "withdraw": "Withdraw",
                 "continue": "Keep collecting"}
STATUS_WORDS = {"draft": "Draft", "running": "Running", "scaled_up": "Scaled up",
                "revised": "Revised", "withdrawn": "Withdrawn"}


def outcome_word(outcome: str | None) -> str:
    """Name a recommendation outcome in plain words."""
    return OUTCOME_WORDS.get(outcome or "", "Not checked")


def status_word(status: str | None) -> str:
    """Name a pilot status in plain words."""
    return STATUS_WORDS.get(status or "", status or "")


def money(amount: float | None, currency: str = "") -> str:
    """Format an amount with thousands separators and no cents."""
    if amount is None or not math.isfinite(amount):
        return "–"
    return f"{amount:,.0f} {currency}".strip()


def number(value: float | None, digits: int = 3) -> str:
    """Format a number compactly: counts with separators, others to a few digits."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int) or float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def q_value(value: float | None) -> str:
    """Format a q-value: two digits, and tiny ones as below a thousandth."""
    if value is None or not math.isfinite(value):
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.2g}"


def p_text(value: float | None) -> str:
    """Write a p-value as people read it: 'p = 0.016', 'p < 0.001'."""
    shown = q_value(value)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def percent(value: float | None) -> str:
    """Format a share as a whole percentage."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.0%}"


def when(value: date | datetime | None) -> str:
    """Format a date or timestamp the same way everywhere."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def effect(value: float | None, kind: str | None) -> str:
    """Format an effect in its unit (percentage points for proportions)."""
    return format_effect(value, kind)


def interval(low: float | None, high: float | None, kind: str | None) -> str:
    """Format an interval in its unit."""
    return format_interval(low, high, kind)


def init_app(app: Flask) -> None:
    """Give the templates their filters and the signed-in person."""
    filters = {"outcome_word": outcome_word, "status_word": status_word, "money": money,
               "number": number, "q_value": q_value, "p_text": p_text, "percent": percent,
               "when": when, "effect": effect, "interval": interval}
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["can"] = lambda role: (current_user.is_authenticated
                                                 and current_user.can(role))
