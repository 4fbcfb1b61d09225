"""`check(spec, observations)`: the pure public entry point (exported as `lab.check`)."""

from __future__ import annotations

import datetime as dt

from lab.analysis.recommend import recommend
from lab.analysis.recommendation import Recommendation
from lab.analysis.summaries import from_observations
from lab.preregistration import parse


def check(spec, observations, as_of: dt.date | None = None) -> Recommendation:
    """Return the Recommendation for one pilot from its plan and raw observations.

    ``spec`` is the pre-registration as a dict (the TOML schema) or a Preregistration;
    ``observations`` a DataFrame or list of dicts with the CSV columns. Rows of other
    pilots are refused, so a file meant for another pilot cannot pass unnoticed.
    """
    plan = parse(spec)
    kinds = {m.key: m.kind.value for m in plan.metrics}
    summaries = from_observations(observations, kinds=kinds)
    others = sorted(set(summaries["pilot"]) - {plan.pilot.key})
    if others:
        raise ValueError(f"observations name pilot(s) {', '.join(others)}, but the plan is for "
                         f"{plan.pilot.key}")
    return recommend(plan, summaries, as_of)
