"""Relative lift, pilot/control − 1, with log-ratio intervals (STATISTICS §1).

The symmetric delta-method interval for a ratio is badly off at small n; the interval
is built on log(pilot/control) and transformed back, so it is never symmetric.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaincinv

from lab.stats.moments import arm_level


def log_ratio_se(kind: str, pilot, control) -> tuple[np.ndarray, np.ndarray]:
    """Return (pilot/control ratio, se of its log) for (n, total, total_sq) triples.

    proportion (Katz et al. 1978): Var log r = (1−p₁)/x₁ + (1−p₂)/x₂;
    mean (delta method on each log mean): s₁²/(n₁m₁²) + s₂²/(n₂m₂²), positive means only;
    rate: 1/y₁ + 1/y₂.
    """
    level_p, var_p = arm_level(kind, *pilot)
    level_c, var_c = arm_level(kind, *control)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = level_p / level_c
        variance = var_p / level_p**2 + var_c / level_c**2
        usable = (level_p > 0) & (level_c > 0) & np.isfinite(variance)
    return np.where(usable, ratio, np.nan), np.where(usable, np.sqrt(variance), np.nan)


def relative_lift(kind: str, pilot, control, critical) -> tuple[np.ndarray, ...]:
    """Return (lift, low, high): exp(log r ± c·se) − 1 with the look's critical value c."""
    ratio, se = log_ratio_se(kind, pilot, control)
    critical = np.asarray(critical, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        return ratio - 1, ratio * np.exp(-critical * se) - 1, ratio * np.exp(critical * se) - 1


def rate_ratio_exact(events_p, exposure_p, events_c, exposure_c, alpha=0.05):
    """Return (lift, low, high) for λ₁/λ₂ − 1 with the exact-conditional interval.

    Given y₁ + y₂, y₁ is binomial with π = E₁λ₁/(E₁λ₁ + E₂λ₂); the Clopper–Pearson
    limits of π map to the ratio by R = π/(1 − π)·E₂/E₁ (Przyborowski & Wilenski 1940).
    """
    y1, e1, y2, e2 = (np.asarray(x, dtype=float) for x in
                      (events_p, exposure_p, events_c, exposure_c))
    with np.errstate(divide="ignore", invalid="ignore"):
        low_pi = np.where(y1 > 0, betaincinv(y1, y2 + 1, alpha / 2), 0.0)
        high_pi = np.where(y2 > 0, betaincinv(y1 + 1, y2, 1 - alpha / 2), 1.0)
        scale = e2 / e1
        ratio = y1 / y2 * scale
        low, high = low_pi / (1 - low_pi) * scale, high_pi / (1 - high_pi) * scale
    none = (y1 + y2) == 0
    ratio = np.where(none | (y2 == 0), np.nan, ratio)
    return ratio - 1, np.where(none, np.nan, low - 1), np.where(none, np.nan, high - 1)

