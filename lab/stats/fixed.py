"""Fixed-horizon tests of pilot − control (STATISTICS §2), for arrays of comparisons.

Every function takes per-arm arrays and returns `Results` for pilot − control; the
decision orients them afterwards. Scalar use goes through `fixed_test`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri, stdtr, stdtrit

from lab.stats.exact import binomial_two_sided, fisher_two_sided
from lab.stats.moments import sample_variance
from lab.stats.results import Result, Results, add_note
from lab.stats.summaries import Summary

_EXPECTED_CELL = 5


def _arrays(*values) -> list[np.ndarray]:
    return [np.atleast_1d(np.asarray(v, dtype=float)) for v in values]


def wilson_interval(successes, trials, alpha=0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval (Wilson 1927) for each proportion."""
    x, n = _arrays(successes, trials)
    z = -ndtri(alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = (x + z**2 / 2) / (n + z**2)
        half = z * np.sqrt(n) / (n + z**2) * np.sqrt(p * (1 - p) + z**2 / (4 * n))
    return centre - half, centre + half


def proportion_test(successes_p, trials_p, successes_c, trials_c, alpha=0.05,
                    exact=True) -> Results:
    """Compare two proportions: Newcombe hybrid-score interval and score test.

    Interval (Newcombe 1998, method 10): with Wilson limits (l_i, u_i),
    [d − √((p₁−l₁)² + (u₂−p₂)²), d + √((u₁−p₁)² + (p₂−l₂)²)], d = p₁ − p₂; equal to
    ``statsmodels confint_proportions_2indep(method="newcomb")``. p-value: score test
    with the Miettinen–Nurminen factor N/(N−1), as ``test_proportions_2indep(
    method="score")``; Fisher's exact test where an expected cell is below 5 (skipped
    with ``exact=False`` when only the interval is wanted).
    """
    x1, n1, x2, n2 = _arrays(successes_p, trials_p, successes_c, trials_c)
    l1, u1 = wilson_interval(x1, n1, alpha)
    l2, u2 = wilson_interval(x2, n2, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = x1 / n1, x2 / n2
        difference = p1 - p2
        low = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
        p_value = _score_p_value(x1, n1, x2, n2)
    small = small_expected_cell(x1, n1, x2, n2) & exact
    if np.any(small):
        p_value[small] = fisher_two_sided(x1[small], n1[small], x2[small], n2[small])
    notes = np.full(difference.shape, "", dtype=object)
    notes = add_note(notes, small, "an expected cell is below 5: Fisher's exact p-value")
    notes = add_note(notes, (n1 == 0) | (n2 == 0), "an arm has no trials")
    notes = add_note(notes, (n1 > 0) & (n2 > 0) & ~np.isfinite(p_value),
                     "every unit succeeded (or none did) in both arms: no test is possible")
    return Results(difference, low, high, p_value, "Newcombe hybrid score interval; score test",
                   notes)


def _score_p_value(x1, n1, x2, n2) -> np.ndarray:
    total = n1 + n2
    pooled = (x1 + x2) / total
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2) * total / (total - 1)
    z = (x1 / n1 - x2 / n2) / np.sqrt(variance)
    return 2 * ndtr(-np.abs(z))


def small_expected_cell(x1, n1, x2, n2) -> np.ndarray:
    """Return True where a 2×2 table has an expected cell below 5 (exact test needed)."""
    total = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        successes = (x1 + x2) / total
        smallest = np.minimum(np.minimum(n1, n2) * successes,
                              np.minimum(n1, n2) * (1 - successes))
    return (n1 > 0) & (n2 > 0) & (smallest < _EXPECTED_CELL)


def welch_test(n_p, mean_p, sd_p, n_c, mean_c, sd_c, alpha=0.05) -> Results:
    """Compare two means with Welch's t test and the Welch–Satterthwaite df.

    se² = s₁²/n₁ + s₂²/n₂, ν = se⁴ / [s₁⁴/(n₁²(n₁−1)) + s₂⁴/(n₂²(n₂−1))]
    (Welch 1947); as ``scipy.stats.ttest_ind_from_stats(equal_var=False)``.
    """
    n1, m1, s1, n2, m2, s2 = _arrays(n_p, mean_p, sd_p, n_c, mean_c, sd_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v2 = s1**2 / n1, s2**2 / n2
        se = np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        usable = (n1 >= 2) & (n2 >= 2) & (se > 0)
        df, se = np.where(usable, df, np.nan), np.where(usable, se, np.nan)
        difference = m1 - m2
        # scipy.special directly: the distribution objects cost ~100 µs a call.
        critical = stdtrit(df, 1 - alpha / 2)
        p_value = 2 * stdtr(df, -np.abs(difference / se))
    notes = np.full(difference.shape, "", dtype=object)
    notes = add_note(notes, (n1 < 2) | (n2 < 2), "an arm has fewer than 2 units")
    notes = add_note(notes, (n1 >= 2) & (n2 >= 2) & ((v1 + v2) == 0),
                     "no variation in either arm: the interval is undefined")
    return Results(difference, difference - critical * se, difference + critical * se,
                   p_value, "Welch t interval and test", notes)


def rate_test(events_p, exposure_p, events_c, exposure_c, alpha=0.05) -> Results:
    """Compare two Poisson rates: Wald interval for the difference, exact-conditional p.

    Interval λ₁ − λ₂ ± z·√(y₁/E₁² + y₂/E₂²). p-value: y₁ | y₁ + y₂ ~ Binomial(y₁ + y₂,
    E₁/(E₁ + E₂)) two-sided minlike, as ``test_poisson_2indep(method="exact-cond")``
    (Przyborowski & Wilenski 1940).
    """
    y1, e1, y2, e2 = _arrays(events_p, exposure_p, events_c, exposure_c)
    z = -ndtri(alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = y1 / e1 - y2 / e2
        se = np.sqrt(y1 / e1**2 + y2 / e2**2)
        se = np.where(se > 0, se, np.nan)
    none = (y1 + y2) == 0
    p_value = np.full(difference.shape, np.nan)
    if np.any(~none):
        p_value[~none] = binomial_two_sided(y1[~none], (y1 + y2)[~none],
                                            (e1 / (e1 + e2))[~none])
    notes = add_note(np.full(difference.shape, "", dtype=object), none,
                     "no events in either arm: no test is possible")
    return Results(difference, difference - z * se, difference + z * se, p_value,
                   "Wald interval for the difference; exact-conditional Poisson test", notes)


def fixed_tests(kind: str, pilot, control, alpha=0.05, exact=True) -> Results:
    """Dispatch on kind for (n, total, total_sq) arm triples (the period-summaries shape)."""
    (n1, t1, q1), (n2, t2, q2) = pilot, control
    if kind == "proportion":
        return proportion_test(t1, n1, t2, n2, alpha, exact)
    if kind == "rate":
        return rate_test(t1, n1, t2, n2, alpha)
    if kind == "mean":
        n1, t1, n2, t2 = _arrays(n1, t1, n2, t2)
        with np.errstate(divide="ignore", invalid="ignore"):
            m1, m2 = t1 / n1, t2 / n2
        s1, s2 = np.sqrt(sample_variance(n1, t1, q1)), np.sqrt(sample_variance(n2, t2, q2))
        return welch_test(n1, m1, s1, n2, m2, s2, alpha)
    raise ValueError(f"unknown metric kind {kind!r}")


def fixed_test(pilot: Summary, control: Summary, alpha: float = 0.05,
               direction: str = "increase") -> Result:
    """Return the §2 fixed-horizon result for one comparison, oriented (positive is better).

    Parameters
    ----------
    pilot, control : ProportionSummary | MeanSummary | RateSummary
        Pooled summaries of the two arms (of the same kind).
    alpha : float
        Two-sided level; the interval has coverage 1 − alpha.
    direction : {"increase", "decrease"}
        Which way is better; for "decrease" the effect is control − pilot.
    """
    if pilot.kind != control.kind:
        raise ValueError(f"cannot compare a {pilot.kind} with a {control.kind}")
    result = fixed_tests(pilot.kind, (pilot.n, pilot.total, pilot.total_sq),
                         (control.n, control.total, control.total_sq), alpha)[0]
    return orient(result, direction)


def orient(result: Result, direction: str) -> Result:
    """Return the result with positive meaning better for a metric of this direction."""
    if direction not in ("increase", "decrease"):
        raise ValueError(f"direction must be 'increase' or 'decrease', got {direction!r}")
    return result if direction == "increase" else result.flipped()
