"""Exact small-sample p-values: binomial (minlike, vectorised) and Fisher's 2×2 test."""

from __future__ import annotations

import numpy as np

# scipy.stats is imported where it is used: it takes a second to import, and the
# exact tests run only for small counts.

# scipy's binomtest treats pmf values within this relative error as ties.
_TIE = 1 + 1e-7


def binomial_two_sided(k, n, p) -> np.ndarray:
    """Return the two-sided exact binomial p-value (minlike), for arrays of tests.

    p = Σ P(X = j) over all j with P(X = j) ≤ P(X = k), X ~ Binomial(n, p): the
    definition of ``scipy.stats.binomtest``, which the tests check this against.
    Found by a vectorised bisection for the first (or last) such j beyond the mode.
    """
    from scipy import stats

    k, n, p = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (k, n, p)))
    dist = stats.binom(n, p)
    limit = dist.pmf(k) * _TIE
    below = k < p * n
    # Below the mean: first j ≥ ⌈pn⌉ with pmf(j) ≤ limit; above it: last j ≤ ⌊pn⌋.
    lo = np.where(below, np.ceil(p * n), 0.0)
    hi = np.where(below, n + 1, np.floor(p * n) + 1)
    while np.any(hi - lo > 0):
        mid = np.floor((lo + hi) / 2)
        small = dist.pmf(mid) <= limit
        # Below: the condition turns true going up; above: it stays true going down.
        go_left = np.where(below, small, ~small)
        lo, hi = np.where(go_left, lo, mid + 1), np.where(go_left, mid, hi)
    first_true_up = lo  # below: first j where pmf ≤ limit (n + 1 when none)
    last_true_down = lo - 1  # above: last j where pmf ≤ limit (−1 when none)
    p_below = dist.cdf(k) + dist.sf(first_true_up - 1)
    p_above = dist.cdf(last_true_down) + dist.sf(k - 1)
    value = np.where(below, p_below, p_above)
    return np.minimum(np.where(k == p * n, 1.0, value), 1.0)


def fisher_two_sided(successes_p, trials_p, successes_c, trials_c) -> np.ndarray:
    """Return Fisher's exact two-sided p-value for each 2×2 table (scipy, one by one)."""
    from scipy import stats

    values = []
    for x1, n1, x2, n2 in zip(successes_p, trials_p, successes_c, trials_c, strict=True):
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        values.append(stats.fisher_exact(np.asarray(table, dtype=np.int64)).pvalue)
    return np.asarray(values, dtype=float)
