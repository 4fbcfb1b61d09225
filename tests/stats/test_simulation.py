"""§8 simulation: a holdout proportion pilot looked at every week for 12 weeks.

The harness runs the engine's own array functions (Wald difference, enough-data gate,
Lan–DeMets O'Brien–Fleming boundaries, decision rule), checks a sample of runs against
`lab.analysis.recommend`, and shows that a naive repeated z-test fails on the same data.
"""

import math

import numpy as np
import pandas as pd
import pytest

from lab.analysis.recommend import recommend
from lab.stats import gates, planning
from lab.stats.decision import REASONS, rule
from lab.stats.moments import wald_difference
from lab.stats.sequential import obf_boundaries, repeated_interval

P_CONTROL, DELTA, LOOKS, RUNS = 0.30, 0.05, 12, 20_000
PLANNED = planning.plan("proportion", DELTA, baseline=P_CONTROL).sample_per_arm
WEEKLY = math.ceil(PLANNED / LOOKS)


def simulate(p_pilot: float, seed: int):
    """Return (successes per arm per week, outcome, reason code, stopping look) per run."""
    rng = np.random.default_rng(seed)
    successes = rng.binomial(WEEKLY, [p_pilot, P_CONTROL], size=(RUNS, LOOKS, 2))
    cumulative = successes.cumsum(axis=1).astype(float)
    trials = WEEKLY * np.arange(1, LOOKS + 1, dtype=float)
    fraction = np.minimum(2 * trials / (2 * PLANNED), 1.0)
    fraction[-1] = 1.0
    bounds = obf_boundaries(0.05, fraction)
    code = np.full((RUNS, LOOKS), "open", dtype=object)
    for k in range(LOOKS):
        pilot = (np.full(RUNS, trials[k]), cumulative[:, k, 0], None)
        control = (np.full(RUNS, trials[k]), cumulative[:, k, 1], None)
        estimate, se = wald_difference("proportion", pilot, control)
        low, high = repeated_interval(estimate, se, bounds[k])
        enough = (gates.enough_data("proportion", trials[k], cumulative[:, k, 0])
                  & gates.enough_data("proportion", trials[k], cumulative[:, k, 1]))
        code[:, k] = np.where(enough, rule(low, high, DELTA, final=k == LOOKS - 1), "open")
    outcome = np.vectorize(REASONS.get)(code)
    stopped = outcome != "continue"
    look = np.where(stopped.any(1), stopped.argmax(1), LOOKS - 1)
    rows = np.arange(RUNS)
    return successes, outcome[rows, look], code[rows, look], look


def naive_z_rejects(successes) -> float:
    """Share of runs where a two-sided z-test at 5% is significant at some weekly look."""
    cumulative = successes.cumsum(axis=1)
    n = WEEKLY * np.arange(1, LOOKS + 1)
    p1, p2 = cumulative[..., 0] / n, cumulative[..., 1] / n
    pooled = (p1 + p2) / 2
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * 2 / n)
    return float((np.abs(z) > 1.959964).any(axis=1).mean())


@pytest.fixture(scope="module")
def null_runs():
    return simulate(P_CONTROL, seed=1)


def test_no_true_effect_rarely_scales_up_or_withdraws_for_harm(null_runs):
    _, outcome, code, _ = null_runs
    assert np.mean(outcome == "scale_up") <= 0.035
    assert np.mean(code == "worse") <= 0.03


def test_a_naive_repeated_z_test_inflates_false_positives(null_runs):
    successes = null_runs[0]
    rate = naive_z_rejects(successes)
    assert rate > 0.15  # Armitage et al. 1969: about 21% at 12 looks
    assert rate > 4 * np.mean(null_runs[1] == "scale_up")


def test_the_true_effect_scales_up():
    _, outcome, _, _ = simulate(P_CONTROL + DELTA, seed=2)
    assert np.mean(outcome == "scale_up") >= 0.72


def test_a_harmful_pilot_is_withdrawn():
    _, outcome, _, _ = simulate(P_CONTROL - DELTA, seed=3)
    assert np.mean(outcome == "withdraw") >= 0.99


def test_recommend_agrees_with_the_harness(null_runs):
    successes, outcome, _, look = null_runs
    spec = {
        "hypothesis": {"key": "h", "statement": "s", "process": "retention",
                       "expected_benefit": "b", "sponsors": ["service"], "owner": "a@b.c"},
        "pilot": {"key": "sim", "title": "t", "channel": "x", "design": "holdout",
                  "planned_sample": PLANNED, "start": "2026-01-05", "end": "2026-12-27"},
        "metrics": [{"key": "conversion", "kind": "proportion", "role": "primary",
                     "direction": "increase", "minimum_effect": DELTA}],
    }
    chosen = np.random.default_rng(4).choice(RUNS, 25, replace=False)
    chosen = np.concatenate([chosen, np.flatnonzero(outcome == "scale_up")[:5]])
    for run in chosen:
        summaries = _summaries(successes[run])
        period = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=int(look[run]))
        answer = recommend(spec, summaries, as_of=period.date())
        assert answer.outcome == outcome[run]
        assert len(answer.looks) == look[run] + 1


def _summaries(successes) -> pd.DataFrame:
    rows = []
    for week in range(LOOKS):
        for arm, index in (("pilot", 0), ("control", 1)):
            rows.append({"pilot": "sim", "metric": "conversion", "arm": arm, "phase": "during",
                         "period": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=week),
                         "n": float(WEEKLY), "total": float(successes[week, index]),
                         "total_sq": np.nan})
    return pd.DataFrame(rows)
