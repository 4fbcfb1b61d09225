"""Arm levels and their sampling variances from the uniform (n, total, total_sq) triple.

- proportion: p = x/n, Var = p(1−p)/n
- mean: m = Σx/n, s² = SS/(n−1), Var = s²/n, SS the squared deviations about m (never
  Σx² − n·m², which loses the variance to rounding when the mean is large: at 10⁸
  with sd 1 all of it)
- rate: λ = y/E, Var = y/E² (Poisson)
"""

from __future__ import annotations

import numpy as np

KINDS = ("proportion", "mean", "rate")


def arm_level(kind: str, n, total, total_sq=None) -> tuple[np.ndarray, np.ndarray]:
    """Return (level, variance of the level) per arm; NaN where n is 0."""
    n = np.asarray(n, dtype=float)
    total = np.asarray(total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(n > 0, total / n, np.nan)
        if kind == "proportion":
            variance = level * (1 - level) / n
        elif kind == "mean":
            variance = sample_variance(n, total, total_sq) / n
        elif kind == "rate":
            variance = total / n**2
        else:
            raise ValueError(f"unknown metric kind {kind!r}; expected one of {KINDS}")
    return level, np.where(n > 0, variance, np.nan)


def sample_variance(n, total, total_sq) -> np.ndarray:
    """Return s² = SS/(n−1) (``total_sq`` is SS), 0 for a single unit, NaN without any.

    ``total`` is not needed (SS is already about the mean); it stays in the signature so
    every function takes the same (n, total, total_sq) triple.
    """
    n, total_sq = np.asarray(n, dtype=float), np.asarray(total_sq, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.maximum(total_sq, 0.0)
        return np.where(n > 1, spread / (n - 1), np.where(n == 1, 0.0, np.nan))


def pooled_squares(n, total, total_sq, centre) -> tuple[np.ndarray, np.ndarray]:
    """Return what pooling rows adds up, so that a cumulative sum pools SS stably.

    For rows k with nₖ, Σx = tₖ and SSₖ, pooled SS = Σ[SSₖ + nₖdₖ²] − (Σnₖdₖ)²/Σnₖ
    with dₖ = tₖ/nₖ − c, for any centre c (Chan, Golub & LeVeque 1983). With c near the
    means (the first row's mean), neither sum is large, so nothing cancels. Returns the
    per-row (SSₖ + nₖdₖ², nₖdₖ): sum or cumsum each, then `pooled_from`.
    """
    n, total, total_sq, centre = (np.asarray(x, dtype=float)
                                  for x in (n, total, total_sq, centre))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(n > 0, total / n - centre, 0.0)
    d = np.where(np.isfinite(d), d, 0.0)
    return np.nan_to_num(total_sq) + n * d * d, n * d


def pooled_from(n, squares, moved) -> np.ndarray:
    """Return the pooled SS from summed n, SSₖ + nₖdₖ² and nₖdₖ (see `pooled_squares`)."""
    n, squares, moved = (np.asarray(x, dtype=float) for x in (n, squares, moved))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(n > 0, moved * moved / n, 0.0)
    return np.maximum(squares - between, 0.0)


def wald_difference(kind: str, pilot, control) -> tuple[np.ndarray, np.ndarray]:
    """Return (pilot − control, unpooled standard error) for (n, total, total_sq) triples."""
    level_p, var_p = arm_level(kind, *pilot)
    level_c, var_c = arm_level(kind, *control)
    return level_p - level_c, np.sqrt(var_p + var_c)


def grouped_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Return the cumulative sums of ``values`` (rows × columns) restarting at each start.

    ``starts`` are the first row of each group (sorted, the first is 0). Compensated
    (Kahan) as pandas' ``groupby(…).cumsum()`` is, operation for operation, so the sums
    are those pandas gave bit for bit; vectorized across groups and columns, one step
    per position within a group (a pilot's periods: tens), not one per row.
    """
    values = np.asarray(values, dtype=float)
    out = np.empty_like(values)
    if not len(values):
        return out
    lengths = np.diff(np.append(starts, len(values)))
    accum = np.zeros((len(starts), values.shape[1]))
    compensation = np.zeros_like(accum)
    for position in range(int(lengths.max())):
        groups = np.flatnonzero(lengths > position)
        rows = starts[groups] + position
        y = values[rows] - compensation[groups]
        t = accum[groups] + y
        compensation[groups] = (t - accum[groups]) - y
        accum[groups] = t
        out[rows] = t
    return out
