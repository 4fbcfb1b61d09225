"""Summaries refuse impossible values and pool exactly."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.stats.summaries import MeanSummary, ProportionSummary, RateSummary


@pytest.mark.parametrize(("build", "field"), [
    (lambda: ProportionSummary(5, 4), "successes"),
    (lambda: ProportionSummary(-1, 4), "successes"),
    (lambda: ProportionSummary(1, math.nan), "trials"),
    (lambda: MeanSummary(0, 1.0, 1.0), "n"),
    (lambda: MeanSummary(5, math.nan, 1.0), "mean"),
    (lambda: MeanSummary(5, 1.0, -1.0), "sd"),
    (lambda: RateSummary(3, 0.0), "exposure"),
    (lambda: RateSummary(-3, 1.0), "events"),
])
def test_impossible_values_are_refused_by_name(build, field):
    with pytest.raises(ValueError, match=field):
        build()


def test_pooling_means_matches_the_raw_data():
    rng = np.random.default_rng(7)
    parts = [rng.normal(10, 3, size) for size in (5, 40, 17)]
    pooled = MeanSummary(len(parts[0]), parts[0].mean(), parts[0].std(ddof=1))
    for part in parts[1:]:
        pooled = pooled + MeanSummary(len(part), part.mean(), part.std(ddof=1))
    everything = np.concatenate(parts)
    assert pooled.n == len(everything)
    assert pooled.mean == pytest.approx(everything.mean())
    assert pooled.sd == pytest.approx(everything.std(ddof=1))
    again = MeanSummary.from_totals(pooled.n, pooled.total, pooled.total_sq)
    assert (again.mean, again.sd) == pytest.approx((pooled.mean, pooled.sd))


def test_counts_add():
    assert ProportionSummary(3, 10) + ProportionSummary(4, 5) == ProportionSummary(7, 15)
    assert RateSummary(3, 1.5) + RateSummary(4, 2.5) == RateSummary(7, 4.0)


means = st.builds(MeanSummary, st.integers(1, 500), st.floats(-100, 100),
                  st.floats(0, 30))


@settings(max_examples=100, deadline=None)
@given(means, means, means)
def test_mean_pooling_is_associative(a, b, c):
    left, right = (a + b) + c, a + (b + c)
    assert left.n == right.n
    assert left.mean == pytest.approx(right.mean, abs=1e-9)
    assert left.sd == pytest.approx(right.sd, rel=1e-7, abs=1e-7)
