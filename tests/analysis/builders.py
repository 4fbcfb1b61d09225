"""Plain functions that build plans and observations for the analysis tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

START = dt.date(2026, 1, 5)


def plan(key="x-care-1h", design="holdout", analysis="sequential", planned_sample=4800,
         metrics=None, **pilot) -> dict:
    """Return a pre-registration dict with churn (primary) and cost (guardrail)."""
    pilot_fields = {"key": key, "title": "One-hour reply desk on X", "channel": "x",
                    "design": design, "analysis": analysis, "start": START,
                    "end": START + dt.timedelta(weeks=12) - dt.timedelta(days=1)}
    if planned_sample is not None:
        pilot_fields["planned_sample"] = planned_sample
    pilot_fields.update(pilot)
    return {
        "hypothesis": {"key": "fast-social-care", "statement": "Fast replies keep customers",
                       "process": "retention", "expected_benefit": "churn falls 2 points",
                       "sponsors": ["service"], "owner": "ana@bank.example"},
        "pilot": pilot_fields,
        "metrics": metrics if metrics is not None else [
            {"key": "churn-90d", "label": "churn", "kind": "proportion", "role": "primary",
             "direction": "decrease", "minimum_effect": 0.02},
            {"key": "cost-per-contact", "label": "cost per contact", "kind": "mean",
             "role": "guardrail", "direction": "decrease", "margin": 1.5},
        ],
    }


def period(week: int) -> str:
    return (START + dt.timedelta(weeks=week)).isoformat()


def proportion_rows(pilot, metric, weeks, trials, p_pilot, p_control, phase="during",
                    seed=None, exact=True, trials_control=None) -> list[dict]:
    """Return weekly proportion rows; exact=True puts the expected successes in each week."""
    rng = np.random.default_rng(seed)
    rows = []
    for week in weeks:
        for arm, p, n in (("pilot", p_pilot, trials),
                          ("control", p_control, trials_control or trials)):
            successes = round(n * p) if exact else int(rng.binomial(n, p))
            rows.append({"pilot": pilot, "metric": metric, "arm": arm, "phase": phase,
                         "period": period(week), "successes": successes, "trials": n})
    return rows


def mean_rows(pilot, metric, weeks, n, mean_pilot, mean_control, sd=2.0,
              phase="during") -> list[dict]:
    """Return weekly mean rows with fixed means and sd."""
    return [{"pilot": pilot, "metric": metric, "arm": arm, "phase": phase,
             "period": period(week), "n": n, "mean": mean, "sd": sd}
            for week in weeks
            for arm, mean in (("pilot", mean_pilot), ("control", mean_control))]


def rate_rows(pilot, metric, weeks, exposure, rate_pilot, rate_control) -> list[dict]:
    """Return weekly rate rows with the expected events."""
    return [{"pilot": pilot, "metric": metric, "arm": arm, "phase": "during",
             "period": period(week), "events": round(exposure * rate), "exposure": exposure}
            for week in weeks
            for arm, rate in (("pilot", rate_pilot), ("control", rate_control))]


def portfolio(pilots=1000, weeks=26, seed=0):
    """Return (specs, period summaries) of a synthetic portfolio: 3 metrics per pilot."""
    rng = np.random.default_rng(seed)
    metrics = [
        {"key": "churn", "kind": "proportion", "role": "primary", "direction": "decrease",
         "minimum_effect": 0.02},
        {"key": "cost", "kind": "mean", "role": "guardrail", "direction": "decrease",
         "margin": 1.5},
        {"key": "complaints", "kind": "rate", "role": "guardrail", "direction": "decrease",
         "margin": 0.05},
    ]
    keys = [f"pilot-{i:04d}" for i in range(pilots)]
    volume = rng.integers(150, 400, pilots)
    end = START + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)
    specs = [plan(key=k, planned_sample=int(v * weeks * 0.9), metrics=metrics, end=end)
             for k, v in zip(keys, volume, strict=True)]
    return specs, _frame(rng, keys, volume, weeks)


def _frame(rng, keys, volume, weeks) -> pd.DataFrame:
    """Draw every pilot × week × arm at once: pilot arm first, then control."""
    shape = (len(keys), weeks, 2)
    n = rng.poisson(volume[:, None, None], shape).astype(float)
    effect = rng.choice([0.0, 0.02, -0.02], len(keys))[:, None, None]
    p = np.where(np.arange(2) == 0, 0.2 - effect, 0.2)
    churn = rng.binomial(n.astype(int), p).astype(float)
    means = rng.normal(np.array([10.0, 10.2]), 0.1, shape)
    sd = 2.0
    exposure = n * 7
    events = rng.poisson(exposure * 0.1).astype(float)
    pilot_index, week, arm = (a.ravel() for a in np.indices(shape))
    base = {"pilot": np.asarray(keys, dtype=object)[pilot_index],
            "arm": np.array(["pilot", "control"], dtype=object)[arm], "phase": "during",
            "period": pd.to_datetime(START) + pd.to_timedelta(week * 7, unit="D")}
    parts = []
    for metric, total, total_sq, units in (
            ("churn", churn, np.full(shape, np.nan), n),
            ("cost", n * means, np.full(shape, (n - 1) * sd**2), n),
            ("complaints", events, np.full(shape, np.nan), exposure)):
        parts.append(pd.DataFrame({**base, "metric": metric, "n": units.ravel(),
                                   "total": total.ravel(), "total_sq": total_sq.ravel()}))
    columns = ["pilot", "metric", "arm", "phase", "period", "n", "total", "total_sq"]
    return pd.concat(parts, ignore_index=True)[columns]
