"""What the portfolio derives from a recommendation: q-values, extra outcomes, their cost.

Each is computed here and only here, whoever shows it (web, API, reports, notebooks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from lab.stats.multiplicity import bh_q_values
from lab.vocabulary import Kind, Role, Status
from lab.words import to_float

THRESHOLDS = ("minimum_effect", "margin", "label")  # what the plan adds to a metric's result
COUNTABLE = (Kind.proportion, Kind.rate)  # kinds whose effect counts extra outcomes


def primary_of(answer: Mapping) -> dict:
    """Return the primary metric's entry of a recommendation dict (empty if none)."""
    return next((m for m in answer.get("metrics") or [] if m.get("role") == Role.primary), {})


def q_values(answers: Mapping[str, Mapping]) -> dict[str, float | None]:
    """Return the Benjamini–Hochberg q-value of each pilot's primary across the portfolio.

    Advice on how many apparent effects could be flukes, never a gate (STATISTICS §5).
    A pilot whose primary has no p-value yet takes no part and gets None.
    """
    keys = list(answers)
    p = [to_float(primary_of(answers[key]).get("p_value")) for key in keys]
    _, adjusted = bh_q_values(p)
    return {key: float(q) if math.isfinite(q) else None
            for key, q in zip(keys, adjusted, strict=True)}


def incremental_outcomes(primary: Mapping) -> float | None:
    """Return the extra outcomes the pilot arm produced: the effect times its units.

    The units are the pilot arm's trials (customers) for a proportion and its exposure
    for a rate, and the effect is oriented, so for a lower-is-better metric this counts
    the outcomes avoided. None until an effect is measured (the interval above zero):
    before that the count is noise. A mean counts no outcomes (its effect times n is,
    say, minutes summed over customers), so a mean primary gives None too.
    """
    low, estimate, units = (to_float(primary.get(name))
                            for name in ("ci_low", "estimate", "n_pilot"))
    if primary.get("kind") not in COUNTABLE or not (low > 0 and estimate > 0 and units > 0):
        return None
    return estimate * units


def cost_per_outcome(primary: Mapping, spend: float) -> float | None:
    """Return the spend per extra outcome of the primary, or None when it is not known.

    None without extra outcomes (see `incremental_outcomes`) and without spend: spend is
    logged by hand, so none recorded means the cost is not known yet, and "0 EUR per
    outcome" would read as free.
    """
    extra = incremental_outcomes(primary)
    return spend / extra if extra and spend > 0 else None


def with_thresholds(answer: Mapping, plan: Mapping) -> dict:
    """Add each metric's planned minimum effect, margin and label to a recommendation.

    The charts draw them as reference lines and the tables name metrics by their label;
    the recommendation carries only what was measured. `plan` is `Pilot.plan`.
    """
    planned = {metric["key"]: metric for metric in plan.get("metrics") or []}
    metrics = [{**{name: planned.get(entry.get("key"), {}).get(name) for name in THRESHOLDS},
                **entry} for entry in answer.get("metrics") or []]
    return {**answer, "metrics": metrics}


def hypothesis_state(statuses: Iterable[str]) -> str:
    """Say what a hypothesis's pilots so far make of it: open, supported, refuted, mixed."""
    statuses = set(statuses)
    scaled, withdrawn = Status.scaled_up in statuses, Status.withdrawn in statuses
    if scaled and withdrawn:
        return "mixed"
    return "supported" if scaled else "refuted" if withdrawn else "open"
