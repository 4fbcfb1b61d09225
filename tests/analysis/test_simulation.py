"""STATISTICS §8: peeking every week stays honest, through the product path.

Holdout proportion pilots with a control rate of 0.30 are logged for 12 weekly looks at
the sample planned for 80% power at δ. Every run is a pilot handed to
`lab.check_portfolio`, and its outcome is read where the product first decides (the
first look whose verdict is not "continue"), so the boundaries, the gates and the rule
that run are the ones the web runs. A naive repeated z-test on the same data shows the
inflation the harness exists to catch.
"""

import math

import numpy as np
import pandas as pd
import pytest

import lab
from lab.stats import planning
from tests.analysis.builders import plan

P_CONTROL, DELTA, LOOKS = 0.30, 0.05, 12
PLANNED = planning.plan("proportion", DELTA, baseline=P_CONTROL).sample_per_arm
WEEKLY = math.ceil(PLANNED / LOOKS)
START = pd.Timestamp("2026-01-05")
METRICS = [{"key": "conversion", "kind": "proportion", "role": "primary",
            "direction": "increase", "minimum_effect": DELTA}]


def simulate(p_pilot: float, runs: int, seed: int):
    """Return (successes per run, week and arm; first decisive outcome per run)."""
    rng = np.random.default_rng(seed)
    successes = rng.binomial(WEEKLY, [p_pilot, P_CONTROL], size=(runs, LOOKS, 2))
    keys = [f"run-{i:05d}" for i in range(runs)]
    specs = [plan(key=key, planned_sample=PLANNED, metrics=METRICS,
                  end=START.date() + pd.Timedelta(weeks=52).to_pytimedelta())
             for key in keys]
    answers = lab.check_portfolio(specs, _observations(keys, successes))
    return successes, np.array([_first_decision(answers[key]) for key in keys])


def _observations(keys: list[str], successes: np.ndarray) -> pd.DataFrame:
    run, week, arm = (axis.ravel() for axis in np.indices(successes.shape))
    return pd.DataFrame({
        "pilot": np.asarray(keys, dtype=object)[run], "metric": "conversion",
        "arm": np.array(["pilot", "control"], dtype=object)[arm], "phase": "during",
        "period": (START + pd.to_timedelta(week * 7, unit="D")).strftime("%Y-%m-%d"),
        "successes": successes.ravel(), "trials": WEEKLY})


def _first_decision(answer) -> str:
    """Return the outcome at the first look that decides, as a pilot would be stopped."""
    return next((look.outcome for look in answer.looks if look.outcome != "continue"),
                "continue")


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
    return simulate(P_CONTROL, runs=8000, seed=1)


@pytest.mark.slow
def test_no_true_effect_rarely_scales_up_or_withdraws_for_harm(null_runs):
    _, outcome = null_runs
    # 2.5% nominal (one side of a two-sided 5%); 8,000 runs put the Monte Carlo sd at 0.17%.
    assert np.mean(outcome == "scale_up") <= 0.033
    assert np.mean(outcome == "withdraw") <= 0.99  # futility withdraws most null pilots
    assert np.mean(outcome == "continue") < 0.01  # the final look always decides


@pytest.mark.slow
def test_a_naive_repeated_z_test_inflates_false_positives(null_runs):
    successes, outcome = null_runs
    rate = naive_z_rejects(successes)
    assert rate > 0.15  # Armitage et al. 1969: about 21% at 12 looks
    assert rate > 4 * np.mean(outcome == "scale_up")


@pytest.mark.slow
def test_the_true_effect_scales_up():
    _, outcome = simulate(P_CONTROL + DELTA, runs=4000, seed=2)
    assert np.mean(outcome == "scale_up") >= 0.72


@pytest.mark.slow
def test_a_harmful_pilot_is_withdrawn():
    _, outcome = simulate(P_CONTROL - DELTA, runs=2000, seed=3)
    assert np.mean(outcome == "withdraw") >= 0.99
