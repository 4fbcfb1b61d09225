"""Comparison-scopes pilots and their observations, for the analysis tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tests.analysis.builders import plan

N, SD, RHO, SHOCK = 400, 2.0, 0.5, 0.1  # as the diff-in-diff harness: weekly sd 0.1 each
START = pd.Timestamp("2026-01-05")


def scope_names(comparisons: int) -> list[str]:
    return [f"segment-{j + 1:02d}" for j in range(comparisons)]


def scopes_plan(key: str, comparisons: int, during: int = 12, analysis: str = "sequential",
                minimum_effect: float = 0.1, alpha: float = 0.05) -> dict:
    """Return a comparison-scopes plan with one mean primary ("spend", higher is better)."""
    end = (START + pd.Timedelta(weeks=during) - pd.Timedelta(days=1)).date()
    return plan(key=key, design="comparison-scopes", analysis=analysis, planned_sample=None,
                planned_periods=during, start=START.date(), end=end, alpha=alpha,
                channel=None, segment="segment-00",
                comparison_scopes=scope_names(comparisons), metrics=[
                    {"key": "spend", "kind": "mean", "role": "primary",
                     "direction": "increase", "minimum_effect": minimum_effect}])


def ar1(rng, shape) -> np.ndarray:
    """Return stationary AR(1) series with ρ = RHO and sd SHOCK along the last axis."""
    noise = rng.normal(0, SHOCK * math.sqrt(1 - RHO**2), shape)
    series = np.empty(shape)
    series[..., 0] = rng.normal(0, SHOCK, shape[:-1])
    for week in range(1, shape[-1]):
        series[..., week] = RHO * series[..., week - 1] + noise[..., week]
    return series


def weekly_means(rng, runs: int, comparisons: int, before: int, during: int, noise: str,
                 effect: float) -> np.ndarray:
    """Return (runs, J + 1, weeks) weekly means: scope levels differ, the pilot scope first."""
    shape = (runs, comparisons + 1, before + during)
    means = (10.0 + rng.normal(0, 1.0, (runs, comparisons + 1, 1))
             + rng.normal(0, SD / math.sqrt(N), shape))
    if noise == "common":
        means += ar1(rng, (runs, 1, before + during))
    elif noise == "specific":
        means += ar1(rng, shape)
    means[:, 0, before:] += effect
    return means


def observations(keys, means, before: int) -> pd.DataFrame:
    """Return CSV-shaped rows of the weekly means (a row per run, scope and week)."""
    runs, units, weeks = means.shape
    dates = pd.date_range(START - pd.Timedelta(weeks=before), periods=weeks, freq="7D")
    run, unit, week = (axis.ravel() for axis in np.indices(means.shape))
    names = np.array(["", *scope_names(units - 1)], dtype=object)
    return pd.DataFrame({
        "pilot": np.asarray(keys, dtype=object)[run], "metric": "spend",
        "arm": np.where(unit == 0, "pilot", "control"), "scope": names[unit],
        "phase": np.where(week < before, "before", "during"),
        "period": dates.strftime("%Y-%m-%d").to_numpy(dtype=object)[week],
        "n": N, "mean": means.ravel(), "sd": SD})
