"""The small-sample inference of diff-in-diff and baseline gaps, against its oracles.

statsmodels OLS where the model reduces to it (no sampling variance, no serial
correlation), the four cell variances where there is no residual, and Monte Carlo for
the moments of the truncated variance estimate and for the sizes it is built to hold.
"""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from lab.stats import did

RNG = np.random.default_rng(20260105)


def ar1(runs: int, length: int, rho: float, sd: float = 1.0) -> np.ndarray:
    """Return stationary Gaussian AR(1) series, one per row."""
    noise = RNG.normal(0, sd * np.sqrt(1 - rho**2), (runs, length))
    series = np.empty((runs, length))
    series[:, 0] = RNG.normal(0, sd, runs)
    for t in range(1, length):
        series[:, t] = rho * series[:, t - 1] + noise[:, t]
    return series


def phases(before: int, during: int, runs: int = 1) -> np.ndarray:
    return np.tile(np.r_[np.zeros(before, bool), np.ones(during, bool)], (runs, 1))


def test_without_sampling_variance_or_correlation_it_is_the_ols_t_test():
    y = RNG.normal(size=(5, 14)).cumsum(axis=1)
    during = phases(6, 8, 5)
    fit = did.gap_effect(y, np.zeros_like(y), during, np.ones_like(y, bool), 0.0)
    p = did.t_p_value(fit.estimate, fit.se, fit.df)
    for row in range(5):
        ols = sm.OLS(y[row], sm.add_constant(during[row].astype(float))).fit()
        assert fit.estimate[row] == pytest.approx(ols.params[1], abs=1e-12)
        assert fit.se[row] == pytest.approx(ols.bse[1], rel=1e-9)
        assert fit.df[row] == pytest.approx(ols.df_resid, rel=1e-9)
        assert p[row] == pytest.approx(ols.pvalues[1], rel=1e-9)


def test_one_period_in_each_phase_falls_back_to_the_four_cell_variances():
    fit = did.gap_effect([[1.0, 2.5]], [[0.1, 0.3]], [[False, True]], [[True, True]])
    assert fit.fallback[0] and np.isinf(fit.df[0])
    assert fit.estimate[0] == pytest.approx(1.5)
    assert fit.se[0] == pytest.approx(np.sqrt(0.1 + 0.3))


def test_no_before_period_gives_nan():
    fit = did.gap_effect([[1.0, 2.0]], [[0.1, 0.1]], [[True, True]], [[True, True]])
    assert np.isnan(fit.estimate[0]) and np.isnan(fit.se[0])


def test_a_skipped_period_keeps_its_lag_and_masked_periods_are_left_out():
    y, v = RNG.normal(size=(1, 12)), np.full((1, 12), 0.0)
    during = phases(6, 6)
    mask = np.ones((1, 12), bool)
    mask[0, [2, 10, 11]] = False  # a skipped before-week; the last two not yet logged
    fit = did.gap_effect(y, v, during, mask, 0.5)
    kept = np.flatnonzero(mask[0])
    x = np.column_stack([np.ones(kept.size), during[0, kept]])
    contrast = np.linalg.solve(x.T @ x, x.T)[1]
    residual = np.eye(kept.size) - x @ np.linalg.solve(x.T @ x, x.T)
    ar = 0.5 ** np.abs(np.subtract.outer(kept, kept))  # lags on the calendar, not the rank
    rss = y[0, kept] @ residual @ y[0, kept]
    assert fit.estimate[0] == pytest.approx(contrast @ y[0, kept])
    assert fit.se[0] ** 2 == pytest.approx(contrast @ ar @ contrast * rss
                                           / np.trace(residual @ ar))


@pytest.mark.slow
@pytest.mark.parametrize(("period", "rho"), [(0.0, 0.5), (1.0, 0.5), (4.0, 0.3)])
def test_the_moments_of_the_truncated_variance_match_monte_carlo(period, rho):
    runs, before, during = 40000, 8, 12
    gap = RNG.normal(size=(runs, before + during)) + np.sqrt(period) * ar1(
        runs, before + during, rho)
    fit = did.gap_effect(gap, np.ones_like(gap), phases(before, during, runs),
                         np.ones_like(gap, bool), rho)
    shape = did.Shape.of(phases(before, during)[0], np.arange(before + during), rho)
    expected, spread = shape.variance_moments(np.ones((1, before + during)), [period])
    assert np.mean(fit.se**2) == pytest.approx(expected[0], rel=0.02)
    assert np.var(fit.se**2) == pytest.approx(spread[0], rel=0.12)
    # Truncated at zero the estimate errs high; the true variance of θ̂ is below it.
    true = shape.contrast @ (np.eye(before + during) + period * np.power(
        rho, np.abs(np.subtract.outer(*(2 * [np.arange(before + during)]))))) @ shape.contrast
    assert np.var(fit.estimate) == pytest.approx(true, rel=0.03)
    assert expected[0] >= true * 0.99


@pytest.mark.slow
@pytest.mark.parametrize(("before", "during"), [(3, 3), (8, 1), (8, 12), (12, 12)])
@pytest.mark.parametrize(("period", "rho"), [(0.0, 0.0), (0.25, 0.5), (1.0, 0.5),
                                             (16.0, 0.5)])
def test_the_effect_test_keeps_its_size_with_serially_correlated_noise(before, during,
                                                                       period, rho):
    runs = 20000
    gap = RNG.normal(size=(runs, before + during)) + np.sqrt(period) * ar1(
        runs, before + during, rho)
    fit = did.gap_effect(gap, np.ones_like(gap), phases(before, during, runs),
                         np.ones_like(gap, bool), 0.5)
    critical = did.critical_value(stats.norm.isf(0.025), fit.df)
    # Two-sided 5%; 20,000 runs put the Monte Carlo sd at 0.15%.
    assert np.mean(np.abs(fit.estimate) > critical * fit.se) <= 0.055


@pytest.mark.slow
@pytest.mark.parametrize("before", [4, 6, 8, 12])
@pytest.mark.parametrize(("period", "rho"), [(0.0, 0.0), (1.0, 0.5), (16.0, 0.5)])
def test_the_pretrend_test_keeps_its_size(before, period, rho):
    runs = 20000
    gap = RNG.normal(size=(runs, before)) + np.sqrt(period) * ar1(runs, before, rho)
    fit = did.pretrend(gap, np.ones_like(gap), np.ones_like(gap, bool), 0.5)
    critical = did.critical_value(stats.norm.isf(0.025), fit.df)
    assert np.mean(np.abs(fit.estimate) > critical * fit.se) <= 0.055


def test_pretrend_needs_three_periods_and_finds_the_slope():
    gap = np.array([[0.0, 1.0, 2.1, 2.9, 4.0], [1.0, 2.0, 0, 0, 0]])
    mask = np.array([[True] * 5, [True, True, False, False, False]])
    fit = did.pretrend(gap, np.full(gap.shape, 0.01), mask)
    assert fit.estimate[0] == pytest.approx(np.polyfit(np.arange(5), gap[0], 1)[0])
    assert fit.se[0] > 0 and np.isnan(fit.estimate[1]) and np.isnan(fit.se[1])


def test_normal_boundaries_carry_to_t_at_the_same_tail_probability():
    c, df = np.array([1.96, 2.5, 4.0]), np.array([3.0, 9.6, np.inf])
    carried = did.critical_value(c, df)
    assert carried[:2] == pytest.approx(stats.t.isf(stats.norm.sf(c[:2]), df[:2]))
    assert carried[2] == 4.0
    z = did.normal_equivalent(carried, df)
    assert z == pytest.approx(c)
    assert did.t_p_value(carried, 1.0, df) == pytest.approx(2 * stats.norm.sf(c))


def test_the_information_fraction_rises_to_one_at_the_planned_end():
    fraction = did.information_fraction(8, np.arange(1, 15), 12)
    assert fraction[0] == pytest.approx((1 / 8 + 1 / 12) / (1 / 8 + 1))
    assert np.all(np.diff(fraction[:12]) > 0) and fraction[11] == 1.0
    assert np.all(fraction[12:] == 1.0)
    assert np.isnan(did.information_fraction(0, 3, 12))
