"""Non-randomized designs: diff-in-diff and baseline with few, serially correlated periods.

The oriented per-period gap dₜ (pilot − control, or the pilot level alone for a
baseline) is regressed by OLS on an intercept and one regressor xₜ: the during-indicator
for the effect (the slope is mean(d during) − mean(d before)), or the period number
over the before-periods for the pre-trend. Only the standard error and its reference
distribution are new; the estimate stays the difference of average gaps.

Noise model. dₜ = signal + eₜ + ηₜ with eₜ the sampling noise of the period's cells,
whose variance vₜ is known from the cells (independent from period to period), and ηₜ
period-to-period noise (shared shocks that do not cancel, campaigns, seasonality) of
unknown variance σ² and AR(1) correlation ρ̄ (the plan's ``serial_correlation``,
assumed, by default 0.5). With residuals û = M d, M = I − X(XᵀX)⁻¹Xᵀ, S = [ρ̄^|i−j|]
and D = diag(v):

    σ̂² = max(0, (ûᵀû − tr(MD)) / tr(MS))              (method of moments)
    se² = Σ aₜ²vₜ + σ̂² aᵀSa                            (a: the OLS contrast, θ̂ = aᵀd)
    ν = 2 E[se²]² / Var[se²]      at σ² = σ̂²,

the Satterthwaite (1946) df of the estimate actually used, truncation included: ûᵀû is
matched by a scaled χ² with its exact Gaussian mean tr(M(D + σ²S)) and variance
2tr((M(D + σ²S))²), and the moments of its positive part are χ² tail probabilities
(`Shape.variance_moments`). The statistic is read against Student's t with ν df. The df
moves smoothly with σ̂², from the sampling-dominated end (σ̂² = 0, where se² is exactly
the sampling part most of the time) to tr(MS)²/tr(MSMS) when period noise dominates;
the plug-in df of the untruncated estimate would jump at σ̂² = 0. With no residual
degree of freedom the error falls back to the sampling variances alone (``fallback``),
which ignores period noise and is said so.

Why this and not HAC. Newey–West with one lag and a normal critical value rejected a
true null in 25% (8 before-periods) to 57% (3) of pre-trend tests. Kernel and series
estimators with fixed-b or t critical values (Kiefer & Vogelsang 2005; Lazarus, Lewis,
Stock & Watson 2018) were measured here too: with 8 + 12 periods and a step regressor
the residuals carry almost no low-frequency information, so Newey–West at bandwidth T
with exact fixed-b critical values still rejected 12% at ρ = 0.5 (nominal 5%), and
equal-weighted cosines kept size only with 2 df (critical value 6.7). With so few
periods a bound on the correlation has to be assumed (as Pötscher & Preinerstorfer 2016
show, size control over all correlations is out of reach); the sampling variances the
cells already give pay for it: measured sizes are in docs/STATISTICS.md.

Sequential looks read the same t distribution: a normal boundary c becomes the t
quantile with the same tail probability, t_ν⁻¹(Φ(c)) (Jennison & Turnbull 2000, §3.8).
Cluster-robust errors with two sites are invalid and never used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc, ndtr, ndtri, stdtr, stdtrit

DEFAULT_SERIAL_CORRELATION = 0.5
MINIMUM_BEFORE_PERIODS = 3  # a slope over the before-periods needs a residual


@dataclass(frozen=True)
class ContrastFit:
    """One OLS contrast per row: estimate, standard error, t degrees of freedom.

    ``period_variance`` is σ̂², the period-to-period noise beyond sampling; ``fallback``
    marks rows without a residual degree of freedom (se from sampling variances alone).
    """

    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    period_variance: np.ndarray
    fallback: np.ndarray


@dataclass(frozen=True)
class Shape:
    """The matrices of one pattern of periods: contrast, residual maker, AR(1) terms."""

    contrast: np.ndarray  # a, with θ̂ = aᵀd
    residual: np.ndarray  # M
    tr_ms: float
    tr_msms: float
    ar_variance: float  # aᵀSa
    diag_msm: np.ndarray

    @classmethod
    def of(cls, regressor, position, rho: float) -> Shape | None:
        """Build the terms for periods at ``position`` with ``regressor`` (None if singular)."""
        x = np.column_stack([np.ones(len(regressor)), np.asarray(regressor, dtype=float)])
        gram = x.T @ x
        if len(regressor) < 2 or np.linalg.det(gram) <= 1e-12:
            return None
        solved = np.linalg.solve(gram, x.T)
        residual = np.eye(len(regressor)) - x @ solved
        lag = np.abs(np.subtract.outer(position, position))
        ar = np.power(float(rho), lag)
        ms = residual @ ar
        return cls(solved[1], residual, float(np.trace(ms)), float(np.sum(ms * ms.T)),
                   float(solved[1] @ ar @ solved[1]), np.einsum("ij,ji->i", ms, residual))

    @property
    def residual_df(self) -> int:
        """Return the residual degrees of freedom n − 2."""
        return len(self.contrast) - 2

    def fit(self, gap: np.ndarray, sampling_variance: np.ndarray) -> ContrastFit:
        """Return the fit of every row of ``gap`` (R, n) with its sampling variances."""
        a, m = self.contrast, self.residual
        estimate = gap @ a
        sampling = sampling_variance @ (a * a)
        if self.residual_df < 1:
            rows = len(gap)
            return ContrastFit(estimate, np.sqrt(sampling), np.full(rows, np.inf),
                               np.full(rows, np.nan), np.ones(rows, dtype=bool))
        rss = np.sum((gap @ m) * gap, axis=1)
        period = np.maximum(0.0, (rss - sampling_variance @ np.diag(m)) / self.tr_ms)
        expected, spread = self.variance_moments(sampling_variance, period)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = np.where(spread > 0, 2 * expected**2 / spread, np.inf)
        return ContrastFit(estimate, np.sqrt(sampling + period * self.ar_variance), df,
                           period, np.zeros(len(gap), dtype=bool))

    def variance_moments(self, sampling_variance, period) -> tuple[np.ndarray, np.ndarray]:
        """Return (E, Var) of se² = Σaₜ²vₜ + aᵀSa·σ̂² when the period variance is σ².

        ``sampling_variance`` is (R, n), or (R,) for a variance constant over the periods.
        ûᵀû is matched by g·χ²_h (mean tr(MD) + σ²tr(MS), variance 2tr((M(D + σ²S))²))
        and σ̂² = (ûᵀû − tr(MD))⁺ / tr(MS); the truncated moments follow from
        E[(gX)ʲ 1{gX > k}] = gʲ h(h+2)…(h+2j−2) P(χ²_{h+2j} > k/g).
        """
        offset, sampling, quadratic, cross = self._traces(np.asarray(sampling_variance,
                                                                     dtype=float))
        period = np.asarray(period, dtype=float)
        mean = offset + period * self.tr_ms
        spread = 2 * (quadratic + 2 * period * cross + period**2 * self.tr_msms)
        # No noise at all (identical gaps, zero variances) leaves these undefined: NaN.
        with np.errstate(divide="ignore", invalid="ignore"):
            g, h = spread / (2 * mean), 2 * mean**2 / spread
            cut = offset / g
            tails = [chdtrc(h + 2 * j, cut) for j in range(3)]
            first = g * h * tails[1] - offset * tails[0]
            second = (g**2 * h * (h + 2) * tails[2] - 2 * offset * g * h * tails[1]
                      + offset**2 * tails[0])
        scale = self.ar_variance / self.tr_ms
        return sampling + scale * first, scale**2 * np.maximum(second - first**2, 0.0)

    def _traces(self, v: np.ndarray):
        """Return tr(MD), Σaₜ²vₜ, tr(MDMD) and tr(MDMS) for D = diag(v) per row."""
        m, a = self.residual, self.contrast
        if v.ndim == 1:  # the same variance in every period: traces scale with v
            return (v * np.trace(m), v * float(a @ a), v**2 * float(np.sum(m * m)),
                    v * float(self.diag_msm.sum()))
        return (v @ np.diag(m), v @ (a * a), np.sum((v @ (m * m)) * v, axis=1),
                v @ self.diag_msm)


def fit_contrast(y, sampling_variance, mask, regressor, serial_correlation) -> ContrastFit:
    """Return the OLS slope of y on the regressor over the masked periods, one row each.

    Parameters
    ----------
    y, sampling_variance : array_like, shape (R, T)
        Per-period values and the sampling variance of each; columns are consecutive
        periods on a calendar grid, so column distance is the lag.
    mask : array_like of bool, shape (R, T)
        The periods each row uses.
    regressor : array_like of int, shape (R, T)
        xₜ: the during-indicator, or the period number.
    serial_correlation : float or array_like, shape (R,)
        ρ̄ of the period-to-period noise.

    Returns
    -------
    ContrastFit
        NaN where the regressor does not vary over the masked periods.

    Notes
    -----
    Rows that share a pattern of periods, regressor and ρ̄ share one `Shape`, so a
    portfolio of thousands of looks costs a handful of small matrix products.
    """
    y = np.asarray(y, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    rows = len(y)
    variance = np.nan_to_num(np.asarray(sampling_variance, dtype=float))
    rho = np.broadcast_to(np.asarray(serial_correlation, dtype=float), (rows,))
    x = np.asarray(regressor).astype(np.int64)
    out = {name: np.full(rows, np.nan) for name in ("estimate", "se", "df", "period_variance")}
    fallback = np.zeros(rows, dtype=bool)
    if not rows:
        return ContrastFit(**out, fallback=fallback)
    rho_code, rho_values = _factorize(rho)
    keys = np.column_stack([np.where(mask, x + 1, 0), rho_code])
    for members in _groups(keys):
        pattern = keys[members[0]]
        columns = np.flatnonzero(pattern[:-1] > 0)
        shape = Shape.of(pattern[columns] - 1, columns, rho_values[pattern[-1]])
        if shape is None:
            continue
        fit = shape.fit(y[np.ix_(members, columns)], variance[np.ix_(members, columns)])
        for name in out:
            out[name][members] = getattr(fit, name)
        fallback[members] = fit.fallback
    return ContrastFit(**out, fallback=fallback)


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Return the row numbers of each distinct row of ``keys``."""
    # lexsort: np.unique(axis=0) sorts rows as raw bytes, ten times slower here.
    order = np.lexsort(keys.T[::-1])
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, np.any(ordered[1:] != ordered[:-1], axis=1)])
    return np.split(order, starts[1:])


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, code = np.unique(values, return_inverse=True)
    return code.ravel(), unique


def gap_effect(gap, sampling_variance, during, mask,
               serial_correlation=DEFAULT_SERIAL_CORRELATION) -> ContrastFit:
    """Return the fit of mean(d during) − mean(d before) per row (NaN without both phases)."""
    return fit_contrast(gap, sampling_variance, mask, np.asarray(during, dtype=bool),
                        serial_correlation)


def pretrend(gap, sampling_variance, mask_before,
             serial_correlation=DEFAULT_SERIAL_CORRELATION) -> ContrastFit:
    """Return the slope per period of dₜ over the before-periods (parallel trends).

    NaN with fewer than 3 before-periods: a slope needs a residual to be judged.
    """
    mask = np.asarray(mask_before, dtype=bool)
    period = np.broadcast_to(np.arange(mask.shape[1]), mask.shape)
    fit = fit_contrast(gap, sampling_variance, mask, period, serial_correlation)
    short = mask.sum(axis=1) < MINIMUM_BEFORE_PERIODS
    return ContrastFit(*(np.where(short, np.nan, value) for value in (
        fit.estimate, fit.se, fit.df, fit.period_variance)), fallback=fit.fallback & ~short)



def information_fraction(before, during, planned) -> np.ndarray:
    """Return t = (1/B + 1/K) / (1/B + 1/k): the share of the planned information at a look.

    The inverse variance of the difference of two means with B before-, k during- and K
    planned during-periods, relative to the final look's. Under serial correlation the
    variance of a look can even grow with k (the first during-period is the one most
    like the last before-period), so the fraction is taken under independence: it rises
    with every look and reaches 1 at the planned end. NaN without a before-period.
    """
    before, during, planned = (np.asarray(v, dtype=float) for v in (before, during, planned))
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = (1 / before + 1 / planned) / (1 / before + 1 / during)
    return np.where((before >= 1) & (during >= 1), np.minimum(fraction, 1.0), np.nan)


def critical_value(normal_critical, df) -> np.ndarray:
    """Return t_ν⁻¹(Φ(c)): the t critical value with the normal boundary's tail probability.

    Jennison & Turnbull (2000, §3.8) carry group-sequential boundaries to t statistics
    this way; infinite ν gives c back.
    """
    c = np.asarray(normal_critical, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        converted = stdtrit(np.where(np.isfinite(df), df, 1.0), ndtr(c))
    return np.where(np.isfinite(df), converted, c)


def normal_equivalent(statistic, df) -> np.ndarray:
    """Return Φ⁻¹(F_ν(t)): the z with the same tail probability as a t statistic."""
    statistic = np.asarray(statistic, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        tail = stdtr(np.where(np.isfinite(df), df, 1.0), -np.abs(statistic))
        z = -np.sign(statistic) * ndtri(tail)
    return np.where(np.isfinite(df), z, statistic)


def t_p_value(estimate, se, df) -> np.ndarray:
    """Return the two-sided p-value 2·F_ν(−|θ̂/se|) at one look (normal for infinite ν)."""
    estimate, se = np.asarray(estimate, dtype=float), np.asarray(se, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.abs(estimate / se)
        return np.where(np.isfinite(df),
                        2 * stdtr(np.where(np.isfinite(df), df, 1.0), -statistic),
                        2 * ndtr(-statistic))
