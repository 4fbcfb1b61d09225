"""Arm levels and their sampling variances from the uniform (n, total, total_sq) triple.

- proportion: p = x/n, Var = p(1−p)/n
- mean: m = Σx/n, s² = (Σx² − n·m²)/(n−1), Var = s²/n
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
    """Return s² = (Σx² − (Σx)²/n)/(n−1), 0 for a single unit, clipped at 0 for rounding."""
    n, total, total_sq = (np.asarray(x, dtype=float) for x in (n, total, total_sq))
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.maximum(total_sq - total * total / n, 0.0)
        return np.where(n > 1, spread / (n - 1), np.where(n == 1, 0.0, np.nan))


def wald_difference(kind: str, pilot, control) -> tuple[np.ndarray, np.ndarray]:
    """Return (pilot − control, unpooled standard error) for (n, total, total_sq) triples."""
    level_p, var_p = arm_level(kind, *pilot)
    level_c, var_c = arm_level(kind, *control)
    return level_p - level_c, np.sqrt(var_p + var_c)
