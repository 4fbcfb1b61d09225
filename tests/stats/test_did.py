"""Diff-in-diff HAC errors against statsmodels, the fallback and the pre-trend slope."""

import numpy as np
import pytest
import statsmodels.api as sm

from lab.stats import did


def test_hac_slope_matches_statsmodels():
    rng = np.random.default_rng(9)
    for length in (6, 9, 14, 30):
        y = rng.normal(0, 1, (20, length)).cumsum(axis=1) * 0.3
        x = np.tile(np.r_[np.zeros(length // 2), np.ones(length - length // 2)], (20, 1))
        slope, se = did.hac_slope(y, x, np.ones_like(y, dtype=bool))
        for row in range(20):
            fit = sm.OLS(y[row], sm.add_constant(x[row])).fit(cov_type="HAC",
                                                                cov_kwds={"maxlags": 1})
            assert slope[row] == pytest.approx(fit.params[1], abs=1e-12)
            assert se[row] == pytest.approx(fit.bse[1], rel=1e-10)


def test_masked_periods_are_left_out():
    rng = np.random.default_rng(10)
    y, x = rng.normal(size=(1, 12)), np.r_[np.zeros(6), np.ones(6)][None]
    mask = np.arange(12)[None] < 9
    slope, se = did.hac_slope(y, x, mask)
    fit = sm.OLS(y[0, :9], sm.add_constant(x[0, :9])).fit(cov_type="HAC",
                                                          cov_kwds={"maxlags": 1})
    assert (slope[0], se[0]) == pytest.approx((fit.params[1], fit.bse[1]))


def test_fewer_than_three_periods_fall_back_to_cell_variances():
    gap = np.array([[1.0, 1.2, 2.0, 2.4]])
    variance = np.array([[0.1, 0.2, 0.3, 0.4]])
    during = np.array([[False, False, True, True]])
    estimate, se, fallback = did.gap_effect(gap, variance, during, np.ones_like(gap, bool))
    assert fallback[0]
    assert estimate[0] == pytest.approx(2.2 - 1.1)
    assert se[0] == pytest.approx(np.sqrt((0.3 + 0.4) / 4 + (0.1 + 0.2) / 4))


def test_no_before_period_gives_nan():
    estimate, se, _ = did.gap_effect([[1.0, 2.0]], [[0.1, 0.1]], [[True, True]],
                                     [[True, True]])
    assert np.isnan(estimate[0]) and np.isnan(se[0])


def test_pretrend_needs_three_periods_and_finds_a_slope():
    gap = np.array([[0.0, 1.0, 2.1, 2.9, 4.0], [1.0, 2.0, 0, 0, 0]])
    mask = np.array([[True] * 5, [True, True, False, False, False]])
    slope, se = did.pretrend(gap, mask)
    assert slope[0] == pytest.approx(np.polyfit(np.arange(5), gap[0], 1)[0])
    assert se[0] > 0 and np.isnan(slope[1])
