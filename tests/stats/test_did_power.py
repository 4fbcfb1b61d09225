"""The planner of diff-in-diff and baseline designs against Monte Carlo of the analysis."""

import numpy as np
import pytest
from scipy import stats

from lab.stats import did, did_power

RNG = np.random.default_rng(7)


def ar1(runs, length, rho, sd):
    noise = RNG.normal(0, sd * np.sqrt(1 - rho**2), (runs, length))
    series = np.empty((runs, length))
    series[:, 0] = RNG.normal(0, sd, runs)
    for t in range(1, length):
        series[:, t] = rho * series[:, t - 1] + noise[:, t]
    return series


def fixed_test_power(effect, before, during, period, rho=0.5, runs=20000):
    """Return the share of fixed-horizon analyses whose interval excludes zero."""
    length = before + during
    gap = RNG.normal(size=(runs, length)) + ar1(runs, length, rho, np.sqrt(period))
    gap[:, before:] += effect
    during_mask = np.tile(np.r_[np.zeros(before, bool), np.ones(during, bool)], (runs, 1))
    fit = did.gap_effect(gap, np.ones_like(gap), during_mask, np.ones_like(gap, bool), rho)
    critical = did.critical_value(stats.norm.isf(0.025), fit.df)
    return np.mean(np.abs(fit.estimate) > critical * fit.se)


def slope_test_power(drift, before, period, rho=0.5, runs=20000):
    gap = RNG.normal(size=(runs, before)) + ar1(runs, before, rho, np.sqrt(period))
    gap += drift * np.arange(before)
    fit = did.pretrend(gap, np.ones_like(gap), np.ones_like(gap, bool), rho)
    critical = did.critical_value(stats.norm.isf(0.025), fit.df)
    return np.mean(np.abs(fit.estimate) > critical * fit.se)


@pytest.mark.slow
@pytest.mark.parametrize(("period", "multiple"), [(0.0, 1.0), (0.0, 0.6), (1.0, 1.0),
                                                  (4.0, 1.0)])
def test_the_planned_power_is_the_analysis_power(period, multiple):
    plan = did_power.design_power(8, 12, 1.0, period, 0.5, analysis="fixed")
    effect = multiple * plan.detectable
    # 20,000 runs: Monte Carlo sd below 0.4 points; the planner's approximations add ±2.
    assert plan.power(effect) == pytest.approx(fixed_test_power(effect, 8, 12, period),
                                               abs=0.025)


def test_the_detectable_effect_has_the_planned_power():
    for analysis in did_power.ANALYSES:
        plan = did_power.design_power(8, 12, 0.02, 0.01, 0.5, power=0.9, analysis=analysis)
        assert plan.power(plan.detectable) == pytest.approx(0.9, abs=1e-6)
    fixed, sequential, valid = (did_power.design_power(8, 12, 0.02, 0.01, analysis=a)
                                for a in ("fixed", "sequential", "always-valid"))
    assert fixed.detectable < sequential.detectable < valid.detectable


def test_more_periods_less_noise_and_less_correlation_detect_smaller_effects():
    base = did_power.design_power(8, 12, 1.0, 1.0, 0.5).detectable
    assert did_power.design_power(8, 24, 1.0, 1.0, 0.5).detectable < base
    assert did_power.design_power(16, 12, 1.0, 1.0, 0.5).detectable < base
    assert did_power.design_power(8, 12, 0.5, 1.0, 0.5).detectable < base
    assert did_power.design_power(8, 12, 1.0, 1.0, 0.2).detectable < base


def test_the_during_periods_needed_are_the_fewest_that_reach_the_power():
    needed = did_power.during_periods_needed(2.5, 0.7, 8, 1.0, 1.0, 0.5)
    assert did_power.design_power(8, needed, 1.0, 1.0, 0.5).power(2.5) >= 0.7
    assert did_power.design_power(8, needed - 1, 1.0, 1.0, 0.5).power(2.5) < 0.7
    # The before-mean's own noise does not shrink with more during-periods.
    assert did_power.during_periods_needed(1.5, 0.7, 8, 1.0, 1.0, 0.5) is None


def test_a_linear_drift_biases_the_estimate_by_the_relevant_amount():
    before, during, drift = 8, 12, 0.3
    gap = drift * np.arange(before + during)[None, :]
    phases = np.r_[np.zeros(before, bool), np.ones(during, bool)][None, :]
    fit = did.gap_effect(gap, np.ones_like(gap), phases, np.ones_like(gap, bool))
    effect = fit.estimate[0]
    assert did_power.relevant_drift(effect, before, during) == pytest.approx(drift)


@pytest.mark.slow
@pytest.mark.parametrize(("before", "period"), [(6, 0.0), (8, 1.0), (12, 4.0)])
def test_the_detectable_drift_has_the_planned_power(before, period):
    drift = did_power.detectable_drift(before, 1.0, period, 0.5)[0]
    assert slope_test_power(drift, before, period) == pytest.approx(0.8, abs=0.03)


def test_the_drift_table_scales_with_the_noise_and_refuses_two_periods():
    one = did_power.detectable_drift(8, 1.0, 2.0)[0]
    assert did_power.detectable_drift(8, 4.0, 8.0)[0] == pytest.approx(2 * one)
    assert np.isinf(did_power.detectable_drift(2, 1.0)[0])


def test_the_before_periods_needed_are_the_fewest_that_see_the_relevant_drift():
    effects = np.array([1.5, 4.0, 1e-4])
    needed = did_power.before_periods_needed(effects, 12, 1.0, 0.5)
    for effect, count in zip(effects[:2], needed[:2], strict=True):
        count = int(count)
        seen = did_power.detectable_drift(count, 1.0, 0.5)[0]
        assert seen <= did_power.relevant_drift(effect, count, 12)
        missed = did_power.detectable_drift(count - 1, 1.0, 0.5)[0]
        assert missed > did_power.relevant_drift(effect, count - 1, 12)
    assert np.isnan(needed[2])


@pytest.mark.parametrize(("arguments", "message"), [
    ((0, 12, 1.0), "at least 1 before- and 1 during-period"),
    ((8, 12, 0.0), "sampling variance must be greater than 0"),
    ((8, 12, 1.0, -1.0), "period-to-period variance must be 0 or more"),
    ((8, 12, 1.0, 0.0, 1.0), r"serial correlation must lie in \[0, 1\)"),
])
def test_impossible_designs_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        did_power.design_power(*arguments)
