"""Intervals for small counts, at any critical value: every look reads one of these.

A look reads its interval at a critical value c (a sequential boundary, the multiple of
the se that an always-valid sequence spans, or z₁₋α/₂ at a fixed horizon), i.e. at the
nominal level 2Φ(−c). These intervals stay valid with few or no successes or events,
where the Wald interval θ̂ ± c·se collapses (its se is 0 at 0% or 100%), so a rare or
all-or-none outcome can be judged at any look (STATISTICS §2 and §4).

- proportions: Newcombe's hybrid score interval from Wilson limits (Newcombe 1998,
  method 10; statsmodels ``confint_proportions_2indep(method="newcomb")``);
- rates: the MOVER interval from score limits of each Poisson rate (Li, Tang & Wong
  2011; statsmodels ``confint_poisson_2indep(method="mover", compare="diff")``);
- means: Welch's interval with the critical value carried to the t distribution with
  Welch–Satterthwaite degrees of freedom, so small arms pay for their estimated variance.

`p_value_at_zero` inverts any of them: the p-value is the level at which the interval
first reaches 0, so an interval and its p-value never contradict each other.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri, stdtr, stdtrit


def _arrays(*values) -> list[np.ndarray]:
    return [np.atleast_1d(np.asarray(v, dtype=float)) for v in values]


def wilson(successes, trials, z) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval of each proportion at critical value z (Wilson 1927).

    [(x + z²/2) ∓ z√n·√(p̂q̂ + z²/(4n))] / (n + z²).
    """
    x, n, z = np.broadcast_arrays(*_arrays(successes, trials, z))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = (x + z**2 / 2) / (n + z**2)
        half = z * np.sqrt(n) / (n + z**2) * np.sqrt(p * (1 - p) + z**2 / (4 * n))
    return centre - half, centre + half


def newcombe(successes_p, trials_p, successes_c, trials_c, z):
    """Return Newcombe's hybrid score interval of p₁ − p₂ at critical value z.

    With Wilson limits (lᵢ, uᵢ) and d = p₁ − p₂:
    [d − √((p₁−l₁)² + (u₂−p₂)²), d + √((u₁−p₁)² + (p₂−l₂)²)] (Newcombe 1998, method 10).
    """
    x1, n1, x2, n2 = _arrays(successes_p, trials_p, successes_c, trials_c)
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _mover(x1 / n1, l1, u1, x2 / n2, l2, u2)


def poisson_score(events, exposure, z) -> tuple[np.ndarray, np.ndarray]:
    """Return the score interval of a Poisson rate: (y + z²/2 ∓ z√(y + z²/4)) / E."""
    y, e, z = np.broadcast_arrays(*_arrays(events, exposure, z))
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(y + z**2 / 4)
        return (y + z**2 / 2 - root) / e, (y + z**2 / 2 + root) / e


def poisson_mover(events_p, exposure_p, events_c, exposure_c, z):
    """Return the MOVER interval of λ₁ − λ₂ from score limits (Li, Tang & Wong 2011)."""
    y1, e1, y2, e2 = _arrays(events_p, exposure_p, events_c, exposure_c)
    l1, u1 = poisson_score(y1, e1, z)
    l2, u2 = poisson_score(y2, e2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _mover(y1 / e1, l1, u1, y2 / e2, l2, u2)


def _mover(a, low_a, high_a, b, low_b, high_b) -> tuple[np.ndarray, np.ndarray]:
    """Return the MOVER interval of a − b from each estimate's own limits.

    Newcombe's method 10 is this recipe with Wilson limits (Zou & Donner 2008).
    """
    d = a - b
    return (d - np.sqrt((a - low_a) ** 2 + (high_b - b) ** 2),
            d + np.sqrt((high_a - a) ** 2 + (b - low_b) ** 2))


def welch(n_p, mean_p, var_p, n_c, mean_c, var_c, z):
    """Return Welch's interval of μ₁ − μ₂ at the level 2Φ(−z), on the t scale.

    se² = s₁²/n₁ + s₂²/n₂ and ν = se⁴ / [s₁⁴/(n₁²(n₁−1)) + s₂⁴/(n₂²(n₂−1))] (Welch 1947);
    the critical value is the t_ν quantile with the same tail probability as z.
    NaN where an arm has fewer than 2 units or neither arm varies.
    """
    n1, m1, s1, n2, m2, s2, z = np.broadcast_arrays(
        *_arrays(n_p, mean_p, var_p, n_c, mean_c, var_c, z))
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v2 = s1 / n1, s2 / n2
        se = np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        usable = (n1 >= 2) & (n2 >= 2) & (se > 0)
        critical = stdtrit(np.where(usable, df, np.nan), ndtr(z))
        d = m1 - m2
        return d - critical * se, d + critical * se


def welch_p_value(n_p, mean_p, var_p, n_c, mean_c, var_c) -> np.ndarray:
    """Return Welch's two-sided p-value, the level at which `welch` reaches 0."""
    n1, m1, s1, n2, m2, s2 = _arrays(n_p, mean_p, var_p, n_c, mean_c, var_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v2 = s1 / n1, s2 / n2
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        return 2 * stdtr(df, -np.abs(m1 - m2) / np.sqrt(v1 + v2))


def p_value_at_zero(interval, estimate, *arms, steps: int = 60) -> np.ndarray:
    """Return the two-sided p-value 2Φ(−z*) where z* is the z at which an interval reaches 0.

    ``interval(*arms, z)`` returns (low, high); the bound on the side of 0 moves towards
    0 as z grows, so z* is found by bisection (in log z, 60 halvings: far below any
    printed digit). An estimate of exactly 0 has p = 1; an undefined one NaN.
    """
    estimate = np.atleast_1d(np.asarray(estimate, dtype=float))
    low, high = np.full(estimate.shape, np.log(1e-6)), np.full(estimate.shape, np.log(60.0))
    for _ in range(steps):
        middle = (low + high) / 2
        lower, upper = interval(*arms, np.exp(middle))
        excludes = np.where(estimate > 0, lower > 0, upper < 0)
        low, high = np.where(excludes, middle, low), np.where(excludes, high, middle)
    p = 2 * ndtr(-np.exp((low + high) / 2))
    return np.where(np.isfinite(estimate), np.where(estimate == 0, 1.0, p), np.nan)


def look_adjusted_p(p_at_zero, alpha, critical) -> np.ndarray:
    """Return the p-value of a look whose interval spans ``critical`` standard errors.

    With z* = z₁₋p/2 the critical value at which the look's interval reaches 0 (from
    ``p_at_zero``, the two-sided level there), the look-adjusted p-value is
    2Φ(−z*·z₁₋α/₂/c): the statistic rescaled so that the look's critical value c maps to
    the nominal z₁₋α/₂. It is below α exactly when the interval at c excludes 0, equals
    the interval-inverting p at a fixed horizon (c = z₁₋α/₂), and at an early, strict look
    is larger than the nominal p. Under H0 it is a valid p-value at each look, since
    c ≥ z₁₋α/₂ (a boundary is never below the fixed-horizon critical value). The exact
    repeated p-value (Jennison & Turnbull 2000, §9.1) would solve for the α whose boundary
    meets z*, one boundary recursion per trial α; this one agrees with it at α.
    """
    p, alpha, critical = (np.asarray(x, dtype=float) for x in (p_at_zero, alpha, critical))
    with np.errstate(divide="ignore", invalid="ignore"):
        z_star = -ndtri(p / 2)
        return 2 * ndtr(-z_star * -ndtri(alpha / 2) / critical)


def critical(alpha) -> np.ndarray:
    """Return z₁₋α/₂, the critical value of a two-sided level α."""
    return -ndtri(np.asarray(alpha, dtype=float) / 2)


def level_interval(kind: str, n, total, total_sq, z) -> tuple[np.ndarray, np.ndarray]:
    """Return the interval of one arm's level at critical value z, from (n, total, total_sq).

    A share: Wilson's score interval; a rate (events per exposure): the Poisson score
    interval; a mean: m ± t·s/√n with the t quantile (n − 1 degrees of freedom) of z's
    tail probability, as `welch` carries z. The same limits the two-arm intervals are
    built from (Newcombe and MOVER), so a target and the comparison read alike.
    """
    if kind == "proportion":
        return wilson(total, n, z)
    if kind == "rate":
        return poisson_score(total, n, z)
    n, total, total_sq, z = np.broadcast_arrays(*_arrays(n, total, total_sq, z))
    with np.errstate(divide="ignore", invalid="ignore"):
        usable = n >= 2
        se = np.sqrt(np.maximum(total_sq, 0.0) / (n - 1) / n)
        critical = stdtrit(np.where(usable, n - 1, np.nan), ndtr(z))
        mean = total / n
        return mean - critical * se, mean + critical * se


def attainment(low, high, target, at_least) -> np.ndarray:
    """Return "meets", "misses" or "unclear" for each interval against its target.

    At least T: meets when the whole interval lies at or above T (low ≥ T), misses when it
    lies below (high < T). At most T: meets when high ≤ T, misses when low > T. An
    interval that reaches T from the wrong side, or crosses it, or is unknown, is unclear:
    only the interval, never the estimate alone, says a target is met.
    """
    low, high, target = (np.asarray(x, dtype=float) for x in (low, high, target))
    at_least = np.asarray(at_least, dtype=bool)
    meets = np.where(at_least, low >= target, high <= target)
    misses = np.where(at_least, high < target, low > target)
    known = np.isfinite(low) & np.isfinite(high)
    return np.where(known & meets, "meets", np.where(known & misses, "misses", "unclear"))
