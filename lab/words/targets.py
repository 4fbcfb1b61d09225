"""How a service-level target is told: the level it asks for and whether it is met.

A target is absolute ("at least 84% replied within 60 minutes"), apart from the
comparison with control: the sentences say where the pilot arm stands, with its
interval, and whether all of that interval is on the right side of the target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from lab.vocabulary import Attainment, Bound, Kind
from lab.words.labels import MISSING
from lab.words.numbers import number, to_float

ATTAINMENT_WORDS = {Attainment.meets: "Meets target", Attainment.misses: "Misses target",
                    Attainment.unclear: "Target not yet clear"}
BOUND_WORDS = {Bound.at_least: "at least", Bound.at_most: "at most"}


def level(value: object, kind: str | None, *, asked: bool = False) -> str:
    """Write a metric's own value: a share as '88.1%', a mean or a rate as a number.

    A target as asked drops the zero decimals: 'at least 84%', 'at most 60'.
    """
    value = to_float(value)
    if not math.isfinite(value):
        return MISSING
    shown = f"{100 * value:.1f}" if kind == Kind.proportion else number(value)
    if asked:
        shown = shown.removesuffix(".0") if kind == Kind.proportion else shown.removesuffix(
            ".00")
    return shown + ("%" if kind == Kind.proportion else "")


def target_text(target: Mapping, kind: str | None) -> str:
    """Write what a target asks for: 'at least 84%', 'at most 60.00'."""
    bound = str(target.get("bound") or next(iter(target), ""))
    value = target.get("value", target.get(bound))
    return f"{BOUND_WORDS.get(bound, bound)} {level(value, kind, asked=True)}"


def attainment_word(attainment: str | None) -> str:
    """Name where the pilot arm stands against its target, e.g. 'Meets target'."""
    return ATTAINMENT_WORDS.get(attainment or "", MISSING)


def sentence(name: str, kind: str, target: Mapping) -> str:
    """Say, for a manager, whether the pilot arm meets the metric's target and how surely.

    ``target`` is a `TargetResult.to_dict()`: the bound, the target value, the pilot
    arm's level and its interval, and the attainment.
    """
    asked = target_text(target, kind)
    low, high = to_float(target.get("low")), to_float(target.get("high"))
    now = level(target.get("level"), kind)
    if now == MISSING:
        return f"Target of {asked} for {name}: no data from the pilot arm yet."
    if not (math.isfinite(low) and math.isfinite(high)):
        return (f"Target not yet clear: {name} is at {now} in the pilot arm, with too "
                f"little data for an interval (target: {asked}).")
    where = f"{name} is at {now} in the pilot arm ({level(low, kind)} to {level(high, kind)})"
    above = target.get("bound") == Bound.at_least
    if target.get("attainment") == Attainment.meets:
        side = "above" if above else "below"
        end = "low" if above else "high"
        return f"Target met: {where}, {side} the target of {asked} even at the {end} end."
    if target.get("attainment") == Attainment.misses:
        side = "below" if above else "above"
        end = "high" if above else "low"
        return f"Target missed: {where}, {side} the target of {asked} even at the {end} end."
    return (f"Target not yet clear: {where}, a range that still includes the target of "
            f"{asked}.")
