"""The planner in the register form: the planned sample computed from the plan as typed.

The same computation as `lab plan` (`lab.stats.planning.plan`): the primary's minimum
effect at alpha and power, every guardrail's margin as a non-inferiority test, and the
inflation for the chosen analysis. Problems are said next to the field they concern.
"""

from __future__ import annotations

from typing import Any

from lab.stats import planning
from lab.words import count


def _number(row: dict[str, Any], name: str) -> float | None:
    try:
        return float(row[name]) if row.get(name) not in (None, "") else None
    except (TypeError, ValueError):
        return None


def planned_sample(plan: dict[str, Any]) -> tuple[int | None, list[dict[str, str]], str]:
    """Return (sample per arm, problems by field, a sentence saying where it comes from)."""
    pilot, metrics = plan.get("pilot", {}), list(enumerate(plan.get("metrics", [])))
    primary = next(((i, m) for i, m in metrics if m.get("role") == "primary"), None)
    if primary is None:
        return None, [{"field": "metrics.0.role", "reason": "mark one metric as primary to "
                                                             "plan the sample"}], ""
    index, metric = primary
    problems = [{"field": f"metrics.{index}.{name}", "reason": f"needed to plan: {why}"}
                for name, why in (("minimum_effect", "the smallest effect worth scaling"),
                                  ("baseline", "the control's expected level"))
                if _number(metric, name) is None]
    if metric.get("kind") == "mean":
        problems.append({"field": f"metrics.{index}.kind", "reason": "a mean also needs its "
                         "standard deviation: plan it with `lab plan --kind mean --sd …`"})
    guards = [(i, m) for i, m in metrics if m.get("role") == "guardrail"]
    margins = []
    for i, guard in guards:
        margin, baseline = _number(guard, "margin"), _number(guard, "baseline")
        if margin is None or baseline is None or guard.get("kind") == "mean":
            problems.append({"field": f"metrics.{i}.baseline", "reason": "needed to plan "
                             "this guardrail: its margin and baseline (a mean guardrail "
                             "needs `lab plan`)"})
            continue
        margins.append((planning.unit_variance(guard["kind"], baseline), margin))
    if problems:
        return None, problems, ""
    try:
        found = planning.plan(metric["kind"], _number(metric, "minimum_effect"),
                              baseline=_number(metric, "baseline"),
                              alpha=_number(pilot, "alpha") or 0.05,
                              power=_number(pilot, "power") or 0.8,
                              direction=metric.get("direction") or "increase",
                              analysis=pilot.get("analysis") or "sequential",
                              guardrail_margins=tuple(margins))
    except ValueError as error:
        return None, [{"field": f"metrics.{index}.minimum_effect", "reason": str(error)}], ""
    said = f"Planned sample computed: {count(found.sample_per_arm)} per arm"
    if found.guardrail_sample and found.guardrail_sample > found.fixed_sample:
        said += (f", set by a guardrail's margin (it needs {count(found.guardrail_sample)} "
                 "per arm before the analysis' inflation)")
    return found.sample_per_arm, [], said + ". Check it, then register the pilot."
