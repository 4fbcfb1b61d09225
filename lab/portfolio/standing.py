"""A pilot's standing as a manager reads it: guardrails, evidence, cost, and what is due.

The rules the portfolio, the pilot page, the decision brief, the reports and `lab check`
share, so "over budget" or "overdue" cannot mean two things.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date

from lab.vocabulary import EVIDENCE, Attainment, Design, Evidence, Outcome, Role, Status
from lab.words import to_float

# Strongest first: a weak-evidence win is never ranked above a randomized one.
EVIDENCE_RANK = {Evidence.randomized: 0, Evidence.comparison: 1, Evidence.before_after: 2}
DAYS_PER_WEEK = 7


def evidence_of(answer: Mapping | None, design: str) -> str:
    """Return the evidence a recommendation states, or the one its design gives."""
    found = (answer or {}).get("evidence")
    return str(found) if found else EVIDENCE[Design(design)].value


def guardrail_status(metric: Mapping) -> str:
    """Say where one guardrail stands against its margin: safe, harmed or unclear.

    The oriented interval [L, U] against the harm tolerated m (STATISTICS §4): safe when
    L > −m (shown not to harm beyond the margin), harmed when U < −m, unclear otherwise.
    """
    low, high, margin = (to_float(metric.get(name)) for name in ("ci_low", "ci_high",
                                                                  "margin"))
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(margin)):
        return "unclear"
    if low > -margin:
        return "safe"
    return "harmed" if high < -margin else "unclear"


def guardrails_status(metrics: Iterable[Mapping]) -> str:
    """Sum up every guardrail: harmed if one is, safe if all are, none without any."""
    found = [guardrail_status(m) for m in metrics if m.get("role") == Role.guardrail]
    if not found:
        return "none"
    if "harmed" in found:
        return "harmed"
    return "safe" if all(status == "safe" for status in found) else "unclear"


def targets_of(metrics: Iterable[Mapping]) -> list[dict]:
    """Return each metric's service-level target with its metric, kind and label."""
    return [{**metric["target"], "metric": metric.get("key"), "kind": metric.get("kind"),
             "label": metric.get("label") or metric.get("key")}
            for metric in metrics if metric.get("target")]


def target_attainment(metrics: Iterable[Mapping]) -> str | None:
    """Sum up the targets: misses if one is missed, meets if all are met, else unclear.

    None when no metric has a target. Beside the comparison with control, never in it:
    the outcome is decided by the comparison alone.
    """
    found = [target["attainment"] for target in targets_of(metrics)]
    if not found:
        return None
    if Attainment.misses in found:
        return Attainment.misses.value
    return (Attainment.meets if all(a == Attainment.meets for a in found)
            else Attainment.unclear).value


def weeks_between(first: date, last: date) -> float:
    """Return the weeks from one day to another, at least one (a burn rate needs a week)."""
    return max((last - first).days / DAYS_PER_WEEK, 1.0)


def burn_rate(spend: float, start: date, end: date, today: date) -> float | None:
    """Return the spend per week since the start (to today, or the end if it has passed)."""
    if spend <= 0 or today < start:
        return None
    return spend / weeks_between(start, min(today, end))


def projected_cost(spend: float, status: str, start: date, end: date,
                   today: date) -> float:
    """Return what the pilot will have cost at its planned end at the current burn rate."""
    rate = burn_rate(spend, start, end, today)
    if status != Status.running or rate is None or today >= end:
        return spend
    return spend + rate * (end - today).days / DAYS_PER_WEEK


def overdue_days(status: str, outcome: str | None, final: bool, end: date,
                 today: date) -> int | None:
    """Return how many days a running pilot's decision is overdue, or None if it is not.

    Due at the planned end, or at once when the final look has given an answer.
    """
    if status != Status.running:
        return None
    if today > end:
        return (today - end).days
    if final and outcome in (Outcome.scale_up, Outcome.revise, Outcome.withdraw):
        return 0
    return None


def money_totals(rows: Iterable, currency: str) -> dict[str, float | int]:
    """Sum spend and budget once, in the lab's currency, without counting a draft twice.

    A revised pilot's next iteration is drafted with a copy of its budget; until it
    starts, that budget is planned, not committed, so it is summed apart. Pilots kept
    in another currency are counted, not converted.
    """
    totals = {"spend": 0.0, "budget": 0.0, "drafts": 0.0, "over": 0, "other": 0}
    for row in rows:
        if row.currency != currency:
            totals["other"] += 1
            continue
        totals["spend"] += row.spend
        totals["drafts" if row.status == Status.draft else "budget"] += row.budget
        totals["over"] += row.spend > row.budget
    return totals


def wins_and_flukes(rows: Iterable) -> dict | None:
    """Say how many of the apparent wins could be flukes, from their q-values.

    An apparent win is a primary whose interval is above zero. Acting on every pilot
    whose q-value is at most q* keeps the expected share of flukes at q* or below
    (Benjamini–Hochberg), so the largest q among the wins times their number is the
    expected count of flukes among them (STATISTICS §5: advice, never a gate).
    """
    wins = [row for row in rows if to_float(row.primary.get("ci_low")) > 0
            and row.q_value is not None]
    if not wins:
        return None
    worst = max(row.q_value for row in wins)
    flukes = worst * len(wins)
    said = ("fewer than one of them is likely to be a fluke" if flukes < 1
            else f"about {round(flukes)} of them could be flukes")
    return {"count": len(wins), "flukes": flukes,
            "sentence": f"{len(wins)} pilot{'s' if len(wins) != 1 else ''} show an apparent "
                        f"win on the primary metric; {said}."}


def cost_interval(primary: Mapping, spend: float) -> tuple[float, float] | None:
    """Return the range of the spend per extra outcome the effect's interval allows.

    The larger the effect the cheaper each outcome: the interval's upper end gives the
    lowest cost. None unless a cost per outcome is known (see
    `lab.portfolio.cost_per_outcome`): a countable primary above zero, and spend.
    """
    low, high, units = (to_float(primary.get(name)) for name in ("ci_low", "ci_high",
                                                                  "n_pilot"))
    if primary.get("kind") not in ("proportion", "rate") or spend <= 0 or not (
            low > 0 and units > 0 and math.isfinite(high)):
        return None
    return spend / (high * units), spend / (low * units)
