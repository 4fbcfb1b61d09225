"""How an effect is told: its change, whether it is worth scaling, what harmed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from lab.words.labels import MISSING, metric_name
from lab.words.numbers import _bare, amount, to_float


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


def judged(effect: Effect) -> str:
    """Say whether a metric got better or worse, and how: 'Worse: opt-outs up 4.1 points'.

    The verdict reads the oriented interval (positive is better); the movement is said
    in the metric's own direction, so a lower-is-better metric that rose reads 'up'.
    """
    sign = 1.0 if effect.direction == "increase" else -1.0
    raw, low, high = (sign * value for value in (effect.estimate, effect.ci_low,
                                                 effect.ci_high))
    if not math.isfinite(raw):
        return f"No estimate yet: {effect.name}"
    low, high = sorted((low, high))
    if raw < 0:  # said as "down by": the interval's ends as sizes of the drop
        low, high = -high, -low
    ends = (f"({_bare(effect.kind, low)} to {_bare(effect.kind, high)})"
            if math.isfinite(low) and math.isfinite(high) else "(no interval)")
    shown = f"{effect.name} {'up' if raw >= 0 else 'down'} {amount(effect.kind, abs(raw))} {ends}"
    if effect.ci_low > 0:
        return f"Better: {shown}"
    if effect.ci_high < 0:
        return f"Worse: {shown}"
    return f"Not clear yet: {shown}, could be better or worse"


def relative(lift_value: object, direction: str) -> str:
    """Say a lift with its direction spelled out: '189% higher than control (worse)'."""
    value = to_float(lift_value)
    if not math.isfinite(value):
        return MISSING
    higher = value >= 0
    better = higher == (direction == "increase")
    return (f"{abs(value):.0%} {'higher' if higher else 'lower'} than control "
            f"({'better' if better else 'worse'})")


def flukes(q: object) -> str:
    """Explain a q-value as advice: 'about 3 in 100 wins this strong could be flukes'."""
    value = to_float(q)
    if not math.isfinite(value):
        return MISSING
    if value < 0.01:
        return "fewer than 1 in 100 wins this strong could be flukes"
    return f"about {round(100 * value)} in 100 wins this strong could be flukes"


def judged_metric(metric: Mapping) -> str:
    """Say a recommendation's metric entry as `judged` does (labels before keys)."""
    return judged(Effect(metric_name(metric), str(metric.get("kind")),
                         str(metric.get("direction")), to_float(metric.get("estimate")),
                         to_float(metric.get("ci_low")), to_float(metric.get("ci_high"))))


STANDBY_READS = {"value": "the pilot arm's level", "lower": "the low end of its interval",
                 "upper": "the high end of its interval"}
STANDBY_ACTIONS = {"alert": "alert", "pause": "pause the pilot",
                   "propose_withdrawal": "propose withdrawing the pilot"}
STANDBY_DONE = {"alert": "people were alerted", "pause": "the pilot was paused",
                "propose_withdrawal": "withdrawal is proposed: a manager decides"}


def standby_rule(metric: str, reads: str, side: str, threshold: float, action: str,
                 from_look: int = 1) -> str:
    """Say a stand-by rule: 'If complaints (the pilot arm's level) rise above 12 …: pause'."""
    verb = "rises above" if side == "above" else "falls below"
    looks = "at any look" if from_look <= 1 else f"from look {from_look} on"
    return (f"If {metric} ({STANDBY_READS[reads]}) {verb} {threshold:g} {looks}: "
            f"{STANDBY_ACTIONS[action]}.")


def standby_fired(metric: str, reads: str, side: str, threshold: float, value: float,
                  look: int, period: str, action: str) -> str:
    """Say what a fired rule read and what followed."""
    return (f"Stand-by rule fired at look {look} (the period of {period}): {metric} "
            f"({STANDBY_READS[reads]}) was {value:.4g}, {side} {threshold:g}; "
            f"{STANDBY_DONE[action]}.")


def plan_awaiting(pilot: str, approved_by: str | None = None) -> str:
    """Say that a draft's plan awaits a manager's approval (again, when it changed)."""
    if approved_by:
        return (f"The plan of pilot {pilot} changed after {approved_by} approved it: a "
                "manager outside the pilot must approve the new version before it starts.")
    return (f"The plan of pilot {pilot} awaits approval: a manager outside the pilot must "
            "approve it before it starts.")
