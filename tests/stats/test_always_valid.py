"""The normal-mixture confidence sequence and its always-valid p-value."""

import numpy as np
import pytest

from lab.stats.always_valid import (
    always_valid_p,
    confidence_sequence,
    half_width,
    likelihood_ratio,
    mixing_variance,
)


def test_zero_leaves_the_interval_exactly_when_the_p_value_drops_below_alpha():
    rng = np.random.default_rng(3)
    estimate, variance = rng.normal(0, 1, 2000), rng.uniform(0.05, 2, 2000)
    tau2 = mixing_variance(0.05, rng.uniform(0.05, 2, 2000))
    low, high = confidence_sequence(estimate, variance, tau2, 0.05)
    excluded = (low > 0) | (high < 0)
    p = 1 / likelihood_ratio(estimate, variance, tau2)
    assert np.array_equal(excluded, p <= 0.05)


def test_half_width_formula():
    v, tau2, alpha = 0.3, 1.2, 0.05
    expected = np.sqrt(v * (v + tau2) / tau2 * (2 * np.log(1 / alpha) + np.log((v + tau2) / v)))
    assert half_width(v, tau2, alpha) == pytest.approx(expected)
    assert mixing_variance(0.05, 2.0) == pytest.approx(
        2.0 * (-2 * np.log(0.05) + np.log(1 - 2 * np.log(0.05))))


def test_p_value_is_a_running_minimum():
    p = always_valid_p([0.1, 0.9, 0.2, 0.0], [0.1, 0.1, 0.1, 0.1], 0.2)
    assert np.all(np.diff(p) <= 0)
    assert p[-1] == p[1]


def test_the_sequence_is_wider_than_a_fixed_interval():
    assert half_width(1.0, mixing_variance(0.05, 1.0), 0.05) > 1.96


def test_always_valid_coverage_under_repeated_looks():
    rng = np.random.default_rng(5)
    looks = np.arange(1, 51)
    sums = rng.normal(0, 1, (20_000, 50)).cumsum(axis=1)
    estimate, variance = sums / looks, 1 / looks
    tau2 = mixing_variance(0.05, 1 / 25)
    low, high = confidence_sequence(estimate, variance, tau2, 0.05)
    missed = ((low > 0) | (high < 0)).any(axis=1).mean()
    assert missed <= 0.05
