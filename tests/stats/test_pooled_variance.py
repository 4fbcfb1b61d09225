"""A mean's variance is pooled stably: near 10⁸ with sd 1 it is not rounded away.

Issue 12 item 8: with Σx² carried as (n−1)sd² + n·mean², a mean of 10⁸ makes n·mean²
about 10¹⁹, whose rounding step (2048) exceeds the whole within-period variance. The
frame now carries squared deviations about each row's mean and pools them about a
centre near the means (`moments.pooled_squares`); checked here against exact rational
arithmetic and, through the product path, against the same data shifted to 0.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest

from lab.analysis.pipeline import check
from lab.stats.moments import pooled_from, pooled_squares, sample_variance
from tests.factories import make_spec

rng = np.random.default_rng(12)
WEEKS = 6


def exact_pooled_variance(n, means, sds) -> Fraction:
    """Return the pooled sample variance in exact rational arithmetic (the reference)."""
    n, means, sds = ([Fraction(float(x)) for x in values] for values in (n, means, sds))
    total = sum(n)
    mean = sum(k * m for k, m in zip(n, means, strict=True)) / total
    within = sum((k - 1) * s * s for k, s in zip(n, sds, strict=True))
    between = sum(k * (m - mean) ** 2 for k, m in zip(n, means, strict=True))
    return (within + between) / (total - 1)


@pytest.mark.parametrize("level", [0.0, 1e4, 1e8, 1e11, -1e8])
def test_pooling_matches_exact_arithmetic_at_any_level(level):
    n = rng.integers(200, 400, WEEKS).astype(float)
    means = level + rng.normal(0, 0.05, WEEKS)
    sds = rng.uniform(0.8, 1.2, WEEKS)
    squares, moved = pooled_squares(n, n * means, (n - 1) * sds**2, means[0])
    pooled = sample_variance(n.sum(), (n * means).sum(),
                             pooled_from(n.sum(), squares.sum(), moved.sum()))
    exact = float(exact_pooled_variance(n, means, sds))
    # Past 10⁸ the row's own n·mean (the frame's total) holds fewer digits of the mean.
    assert float(pooled) == pytest.approx(exact, rel=1e-9 if abs(level) <= 1e8 else 1e-6)
    if abs(level) >= 1e8:  # what Σx² − (Σx)²/n gave: the variance rounded away
        raw = ((n - 1) * sds**2 + n * means**2).sum()
        naive = (raw - (n * means).sum() ** 2 / n.sum()) / (n.sum() - 1)
        assert abs(naive - exact) > 0.1 * exact


def recommendation(level: float) -> dict:
    spec = make_spec(metrics=[{"key": "balance", "kind": "mean", "role": "primary",
                               "direction": "increase", "minimum_effect": 0.2}])
    noise = np.random.default_rng(5)
    rows = [{"pilot": "x-care-1h", "metric": "balance", "arm": arm,
             "period": (dt.date(2026, 1, 5) + dt.timedelta(weeks=week)).isoformat(),
             "n": 300, "mean": level + lift + noise.normal(0, 0.05), "sd": 1.0}
            for week in range(WEEKS) for arm, lift in (("pilot", 0.1), ("control", 0.0))]
    found = check(spec, rows, as_of=dt.date(2026, 3, 1)).to_dict()
    return next(m for m in found["metrics"] if m["key"] == "balance")


def test_a_mean_near_1e8_keeps_its_interval_through_the_product_path():
    near_zero, large = recommendation(0.0), recommendation(1e8)
    width = near_zero["ci_high"] - near_zero["ci_low"]
    assert width > 0.05  # 3,600 units a side at sd 1: an interval of about ±0.05 or more
    assert large["ci_high"] - large["ci_low"] == pytest.approx(width, rel=1e-4)
    assert large["estimate"] == pytest.approx(near_zero["estimate"], abs=1e-6)


@pytest.mark.parametrize("level", [0.0, 1e8])
def test_the_looks_pool_each_arm_over_the_weeks_as_exact_arithmetic_does(level):
    from lab.analysis.holdout import _cumulative_by_arm  # noqa: PLC0415
    from lab.pilots.observations.given import from_observations  # noqa: PLC0415

    n = rng.integers(200, 400, WEEKS)
    means = level + rng.normal(0, 0.5, WEEKS)
    sds = rng.uniform(0.8, 1.2, WEEKS)
    rows = [{"pilot": "p", "metric": "m", "arm": arm,
             "period": (dt.date(2026, 1, 5) + dt.timedelta(weeks=week)).isoformat(),
             "n": int(n[week]), "mean": float(means[week]), "sd": float(sds[week])}
            for week in range(WEEKS) for arm in ("pilot", "control")]
    cumulative = _cumulative_by_arm(from_observations(rows))
    for week in range(WEEKS):
        row = cumulative.iloc[week]
        found = float(sample_variance(row["n_p"], row["t_p"], row["q_p"]))
        exact = float(exact_pooled_variance(n[:week + 1], means[:week + 1], sds[:week + 1]))
        # The frame's total n·mean holds the mean to about 1e-16 relative: at 10⁸ that
        # is 10⁻⁸, which bounds the between-week part to about 1e-8 of the variance.
        assert found == pytest.approx(exact, rel=1e-7), week
