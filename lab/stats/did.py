"""Non-randomized designs: diff-in-diff and baseline (STATISTICS §6).

The oriented per-period gap dₜ (pilot − control, or the pilot level alone for a
baseline) is regressed on an intercept and a during-indicator; the slope is
mean(d during) − mean(d before). Its standard error is Newey–West HAC with one lag
(Bartlett weight 1/2, no small-sample correction), exactly what statsmodels gives for
``OLS(d, X).fit(cov_type="HAC", cov_kwds={"maxlags": 1})``; the tests check the two
agree. It is written out here so that thousands of looks cost one numpy pass.
With fewer than 3 periods in a phase the serial correlation cannot be estimated, and
the standard error comes from the sampling variances of the four cells instead.
Cluster-robust errors with two sites are invalid and never used.
"""

from __future__ import annotations

import numpy as np

MINIMUM_PERIODS = 3


def hac_slope(y, x, mask) -> tuple[np.ndarray, np.ndarray]:
    """Return (slope, HAC se) of y = a + b·x over the masked periods, one row per series.

    Parameters
    ----------
    y, x : array_like, shape (R, T)
        Series in time order; entries outside ``mask`` are ignored.
    mask : array_like of bool, shape (R, T)
        The periods each row uses (consecutive columns are lag-1 neighbours).

    Notes
    -----
    Var(b) = (B S B)₁₁ with B = (XᵀX)⁻¹ and
    S = Σ eₜ²xₜxₜᵀ + ½ Σ eₜeₜ₋₁(xₜxₜ₋₁ᵀ + xₜ₋₁xₜᵀ) (Newey & West 1987, one lag).
    """
    m = np.asarray(mask, dtype=float)
    y = np.where(m > 0, np.asarray(y, dtype=float), 0.0)
    x = np.where(m > 0, np.asarray(x, dtype=float), 0.0)
    n, sx, sxx = m.sum(1), x.sum(1), (x * x).sum(1)
    sy, sxy = y.sum(1), (x * y).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        det = n * sxx - sx**2
        slope = (n * sxy - sx * sy) / det
        intercept = (sy - slope * sx) / n
        e = m * (y - intercept[:, None] - slope[:, None] * x)
        lagged = e[:, 1:] * e[:, :-1]
        m00 = (e * e).sum(1) + lagged.sum(1)
        m01 = (e * e * x).sum(1) + 0.5 * (lagged * (x[:, 1:] + x[:, :-1])).sum(1)
        m11 = (e * e * x * x).sum(1) + (lagged * x[:, 1:] * x[:, :-1]).sum(1)
        variance = (sx**2 * m00 - 2 * sx * n * m01 + n**2 * m11) / det**2
        ok = det > 0
    return np.where(ok, slope, np.nan), np.where(ok, np.sqrt(np.maximum(variance, 0)), np.nan)


def gap_effect(gap, gap_variance, during, mask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (estimate, se, used_fallback) of mean(d during) − mean(d before) per row.

    ``gap_variance`` is each period's sampling variance of dₜ, used only by the
    fallback: Var = Σ_during vₜ / T_d² + Σ_before vₜ / T_b².
    """
    m = np.asarray(mask, dtype=bool)
    during = np.asarray(during, dtype=bool)
    estimate, hac_se = hac_slope(gap, during.astype(float), m)
    t_during = (m & during).sum(1)
    t_before = (m & ~during).sum(1)
    v = np.where(m, np.asarray(gap_variance, dtype=float), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_var = ((v * during).sum(1) / t_during**2 + (v * ~during).sum(1) / t_before**2)
    fallback = (t_during < MINIMUM_PERIODS) | (t_before < MINIMUM_PERIODS)
    se = np.where(fallback, np.sqrt(cell_var), hac_se)
    missing = (t_during == 0) | (t_before == 0)
    return np.where(missing, np.nan, estimate), np.where(missing, np.nan, se), fallback


def pretrend(gap, mask_before) -> tuple[np.ndarray, np.ndarray]:
    """Return (slope per period, HAC se) of dₜ over the before periods (parallel trends).

    NaN where fewer than 3 before periods make a slope and its error meaningless.
    """
    m = np.asarray(mask_before, dtype=bool)
    time = np.cumsum(m, axis=1).astype(float)
    slope, se = hac_slope(gap, time, m)
    short = m.sum(1) < MINIMUM_PERIODS
    return np.where(short, np.nan, slope), np.where(short, np.nan, se)
