"""Planning helpers for notebooks: `lab.stats.planning` for every analysis at once."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from lab.pilots.frames import typed
from lab.stats import planning

PLAN = {"analysis": "string", "inflation": "Float64", "primary_sample": "Int64",
        "guardrail_sample": "Int64", "sample_per_arm": "Int64", "weeks": "Int64"}


def plan(kind: str, minimum_effect: float, *, baseline: float | None = None,
         sd: float | None = None, direction: str = "increase", alpha: float = 0.05,
         power: float = 0.8, guardrails: Iterable[dict] = (),
         weekly_volume: float | None = None, allocation: float = 0.5) -> pd.DataFrame:
    """Plan a pilot's sample per arm under each analysis, as `lab plan` does.

    Parameters
    ----------
    kind : {"proportion", "mean", "rate"}
        The primary metric's kind.
    minimum_effect : float
        The smallest effect worth scaling up, in the metric's unit (0.02 = 2 points).
    baseline : float, optional
        The control's expected value: a share (proportion) or events per unit of
        exposure (rate). Not needed for a mean.
    sd : float, optional
        The per-unit standard deviation of a mean metric.
    direction : {"increase", "decrease"}
        Which way is better; sets where the alternative lies for proportions and rates.
    alpha, power : float
        Two-sided significance level and power of the primary.
    guardrails : iterable of dict
        One dict per guardrail with ``kind``, ``margin`` and ``baseline`` or ``sd``;
        each is planned as a non-inferiority test at power 1 − β/(G+1) (STATISTICS §5).
    weekly_volume : float, optional
        Units entering the pilot's scope per week, both arms together.
    allocation : float
        Share of the scope in the pilot arm.

    Returns
    -------
    pandas.DataFrame
        One row per analysis (fixed, sequential, always-valid): analysis : string;
        inflation : Float64 (sample relative to one final look); primary_sample,
        guardrail_sample, sample_per_arm : Int64 (the larger need, inflated);
        weeks : Int64 (missing without a weekly volume).
    """
    margins = tuple((planning.unit_variance(g["kind"], g.get("baseline"), g.get("sd")),
                     float(g["margin"])) for g in guardrails)
    rows = []
    for analysis in planning.INFLATION:
        found = planning.plan(kind, minimum_effect, baseline=baseline, sd=sd, alpha=alpha,
                              power=power, direction=direction, analysis=analysis,
                              guardrail_margins=margins)
        weeks = (planning.weeks_needed(found.sample_per_arm, weekly_volume, allocation)
                 if weekly_volume else None)
        rows.append({"analysis": analysis, "inflation": found.inflation,
                     "primary_sample": math.ceil(found.fixed_sample),
                     "guardrail_sample": found.guardrail_sample,
                     "sample_per_arm": found.sample_per_arm, "weeks": weeks})
    return typed(rows, PLAN)
