"""Recommendations as tidy tables: the service's answers, flattened for pandas.

Every number here comes from `lab.analysis.pipeline.recommend_pilots`, the one place
the web, the CLI, the notebooks and the reports get answers from; this module only
reshapes them and adds the portfolio's q-values and cost per incremental outcome.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd
from sqlmodel import Session

from lab.analysis.pipeline import recommend_pilots
from lab.models.base import ANALYSES, DESIGNS, DIRECTIONS, KINDS, OUTCOMES, ROLES, STATUSES
from lab.pilots.find import get_pilot
from lab.pilots.lock import spec_of
from lab.pilots.plans import Preregistration
from lab.reports.frames import DATE, FLOAT, INT, TEXT, category, metrics, pilots, typed
from lab.stats.multiplicity import bh_q_values

RECOMMENDATIONS = {
    "pilot": TEXT, "title": TEXT, "status": category(STATUSES), "design": category(DESIGNS),
    "analysis": category(ANALYSES), "outcome": category(OUTCOMES), "final": "boolean",
    "information_fraction": FLOAT, "metric": TEXT, "kind": category(KINDS),
    "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "p_value": FLOAT, "q_value": FLOAT,
    "minimum_effect": FLOAT, "lift": FLOAT, "lift_ci_low": FLOAT, "lift_ci_high": FLOAT,
    "n_pilot": FLOAT, "n_control": FLOAT, "needed_sample": INT, "projected_date": DATE,
    "budget": FLOAT, "spend": FLOAT, "currency": TEXT, "incremental": FLOAT,
    "cost_per_incremental": FLOAT, "reasons": TEXT}
EFFECTS = {
    "pilot": TEXT, "metric": TEXT, "role": category(ROLES), "kind": category(KINDS),
    "direction": category(DIRECTIONS), "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
    "p_value": FLOAT, "lift": FLOAT, "lift_ci_low": FLOAT, "lift_ci_high": FLOAT,
    "method": TEXT, "n_pilot": FLOAT, "n_control": FLOAT}
LOOKS = {"pilot": TEXT, "period": DATE, "information_fraction": FLOAT, "boundary": FLOAT,
         "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "outcome": category(OUTCOMES)}


def recommendation(session: Session, pilot_key: str):
    """Return one pilot's Recommendation; raise LookupError for a draft or unknown key."""
    pilot = get_pilot(session, pilot_key)
    found = recommend_pilots(session, [pilot_key])
    if pilot_key not in found:
        raise LookupError(f"pilot '{pilot_key}' is {pilot.status}: a pilot has no "
                          "recommendation before it starts")
    return found[pilot_key]


def answer(session: Session, pilot_key: str) -> dict:
    """Return one pilot's recommendation dict with its q-value and planned thresholds."""
    pilot = get_pilot(session, pilot_key)
    found = portfolio(session).get(pilot_key)
    if found is None:
        raise LookupError(f"pilot '{pilot_key}' is {pilot.status}: a pilot has no "
                          "recommendation before it starts")
    return with_thresholds(found, spec_of(pilot))


def portfolio(session: Session) -> dict[str, dict]:
    """Return every started pilot's recommendation as a dict, with its q-value added."""
    answers = {key: rec.to_dict() for key, rec in recommend_pilots(session).items()}
    q_values = q_values_of(answers)
    return {key: {**answer, "q_value": q_values[key]} for key, answer in answers.items()}


def q_values_of(answers: Mapping[str, dict]) -> dict[str, float]:
    """Return Benjamini–Hochberg q-values of the primaries (nan where no p-value yet)."""
    keys = list(answers)
    _, adjusted = bh_q_values([_number(primary(answers[key]).get("p_value")) for key in keys])
    return {key: float(q) for key, q in zip(keys, adjusted, strict=True)}


def with_thresholds(answer: dict, spec: Preregistration) -> dict:
    """Add each metric's minimum effect or margin from the plan, for the charts' lines."""
    planned = {metric.key: metric for metric in spec.metrics}
    metrics = []
    for entry in answer.get("metrics") or []:
        plan = planned.get(entry.get("key"))
        extra = {"minimum_effect": plan.minimum_effect, "margin": plan.margin,
                 "label": plan.label} if plan else {}
        metrics.append({**{k: v for k, v in extra.items() if v is not None}, **entry})
    return {**answer, "metrics": metrics}


def primary(answer: Mapping) -> dict:
    """Return the primary metric's entry of a recommendation dict (empty if none)."""
    return next((m for m in answer.get("metrics") or [] if m.get("role") == "primary"), {})


def incremental(answer: Mapping) -> float:
    """Return the extra outcomes the pilot arm produced: effect × pilot units.

    Counted only once an effect is measured (the primary's interval is above zero);
    before that any cost per outcome would divide by noise.
    """
    entry = primary(answer)
    low, estimate = _number(entry.get("ci_low")), _number(entry.get("estimate"))
    units = _number(entry.get("n_pilot"))
    if not (low > 0 and math.isfinite(estimate) and units > 0):
        return math.nan
    return estimate * units


def recommendations(session: Session, keys: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Return one row per started pilot: outcome, primary effect, q-value and spend."""
    wanted = _keys(session, keys)
    plans = pilots(session).set_index("key")
    planned = metrics(session)
    planned = planned[planned["role"] == "primary"]
    minimum = dict(zip(planned["pilot"], planned["minimum_effect"], strict=True))
    rows = []
    for key, answer in portfolio(session).items():
        if wanted is None or key in wanted:
            rows.append({**_recommendation_row(answer, plans.loc[key]),
                         "minimum_effect": minimum.get(key)})
    return typed(sorted(rows, key=lambda row: row["pilot"]), RECOMMENDATIONS)


def _recommendation_row(answer: dict, plan: pd.Series) -> dict:
    entry = primary(answer)
    extra = incremental(answer)
    spent = float(plan["spend"])
    return {
        **{name: answer.get(name) for name in ("pilot", "design", "analysis", "outcome",
                                                "final", "information_fraction",
                                                "needed_sample", "projected_date",
                                                "q_value")},
        **{name: entry.get(name) for name in ("kind", "estimate", "ci_low", "ci_high",
                                               "p_value", "lift", "lift_ci_low",
                                               "lift_ci_high", "n_pilot", "n_control")},
        "metric": entry.get("key"), "title": plan["title"], "status": plan["status"],
        "budget": plan["budget"], "spend": spent, "currency": plan["currency"],
        "incremental": extra,
        "cost_per_incremental": spent / extra if math.isfinite(extra) else math.nan,
        "reasons": "\n".join(answer.get("reasons") or []),
    }


def effects(session: Session, keys: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Return one row per metric of each started pilot, as its recommendation reports it."""
    wanted = _keys(session, keys)
    rows = [{**{name: metric.get(name) for name in EFFECTS}, "pilot": key,
             "metric": metric.get("key")}
            for key, rec in sorted(recommend_pilots(session, wanted).items())
            for metric in rec.to_dict().get("metrics") or []]
    return typed(rows, EFFECTS)


def looks(rec) -> pd.DataFrame:
    """Return a recommendation's look history, one row per look."""
    answer = rec if isinstance(rec, Mapping) else rec.to_dict()
    rows = [{**{name: look.get(name) for name in LOOKS}, "pilot": answer.get("pilot")}
            for look in answer.get("looks") or []]
    return typed(rows, LOOKS)


def _keys(session: Session, keys: str | Iterable[str] | None) -> list[str] | None:
    if keys is None:
        return None
    keys = [keys] if isinstance(keys, str) else list(keys)
    for key in keys:
        get_pilot(session, key)  # an unknown key is an error, not an empty frame
    return keys


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
