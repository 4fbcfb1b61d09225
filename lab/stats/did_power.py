"""What a diff-in-diff or baseline design can detect, said before it starts.

The planner of the inference in `lab.stats.did`: for B before- and K during-periods,
a per-period sampling variance v of the gap (from the volume per period), an assumed
period-to-period variance σ² and AR(1) correlation ρ̄, the final look rejects when
|θ̂| > c_t(σ̂²)·se(σ̂²), with θ̂ ~ N(effect, se²), se² = v·Σaₜ² + σ²·aᵀSa. The estimate
σ̂² = (ûᵀû − v·tr M)⁺ / tr(MS) is often 0 when σ² is small, which makes the test
sharper than its expected standard error suggests, so the power is integrated over it:

    power(effect) = Σᵢ wᵢ Φ(effect/se − c_t(σ̂²ᵢ)·se(σ̂²ᵢ)/se),

with ûᵀû ≈ g·χ²_h (the scaled-χ² match of `lab.stats.did.Shape.variance_moments`) read
at Gauss–Legendre nodes of its quantiles, and c_t the final look's normal critical value
carried to t with the analysis's df (Satterthwaite 1946; Jennison & Turnbull 2000,
§3.8). It treats θ̂ and σ̂² as independent (exact for independent periods) and ignores
the power of earlier looks, so it errs low. The same is done for the
pre-trend slope, so the planner can say how many before-periods the parallel-trends
check needs to see a drift that would, on its own, fake the minimum effect by the
pilot's end (Roth 2022 on the power of pre-tests). The simulation harness
(tests/analysis/test_nonrandom_simulation.py) checks these powers against the product.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import chdtri, ndtr, ndtri

from lab.stats import always_valid, sequential
from lab.stats.did import (
    DEFAULT_SERIAL_CORRELATION,
    MINIMUM_BEFORE_PERIODS,
    Shape,
    critical_value,
    information_fraction,
)

ANALYSES = ("sequential", "always-valid", "fixed")
MOST_PERIODS = 104  # two years of weeks: beyond this the planner stops searching


@dataclass(frozen=True)
class DesignPower:
    """What one design can detect at its final look: se, t df, power and the MDE."""

    before: int
    during: int
    se: float  # the true standard error of the final look's estimate
    df: float  # the analysis's df at the assumed period variance
    margins: np.ndarray  # c_t·ŝe/se at the nodes of σ̂²
    weights: np.ndarray
    detectable: float  # the effect found with the planned power

    def power(self, effect: float) -> float:
        """Return the chance that the final look's interval excludes zero at this effect."""
        return float(_power(abs(effect) / self.se, self.margins, self.weights))


def design_power(before: int, during: int, sampling_variance: float,
                 period_variance: float = 0.0,
                 serial_correlation: float = DEFAULT_SERIAL_CORRELATION, alpha: float = 0.05,
                 power: float = 0.8, analysis: str = "sequential") -> DesignPower:
    """Return what a design with these periods can detect (the planner of `lab.stats.did`).

    Parameters
    ----------
    before, during : int
        Before-periods logged and during-periods planned.
    sampling_variance : float
        Sampling variance of one period's gap: Var(pilot level) + Var(control level) for a
        diff-in-diff, Var(pilot level) for a baseline.
    period_variance : float
        Assumed period-to-period variance of the gap beyond sampling (0: none expected).
    serial_correlation : float
        ρ̄, the AR(1) correlation the analysis assumes.
    alpha, power : float
        Two-sided level and the power wanted.
    analysis : {"sequential", "always-valid", "fixed"}

    Returns
    -------
    DesignPower
        ``detectable`` solves power(effect) = ``power`` (see the module notes).
    """
    _check(before, during, sampling_variance, period_variance, serial_correlation, analysis)
    regressor = np.r_[np.zeros(before), np.ones(during)]
    shape = Shape.of(regressor, np.arange(before + during), serial_correlation)
    normal = _normal_critical(analysis, alpha, before, during, serial_correlation)
    se, df, margins = _margins(shape, np.array([sampling_variance]),
                               np.array([period_variance]), np.array([normal]))
    ratio = _solve(margins, power)
    return DesignPower(before, during, float(se[0]), float(df[0]), margins[0], _WEIGHTS,
                       float(ratio[0] * se[0]))


def during_periods_needed(effect: float, wanted: float, before: int, sampling_variance: float,
                          period_variance: float = 0.0,
                          serial_correlation: float = DEFAULT_SERIAL_CORRELATION,
                          alpha: float = 0.05, analysis: str = "sequential") -> int | None:
    """Return the fewest during-periods giving power ``wanted`` at ``effect`` (None: > 104)."""
    for during in range(1, MOST_PERIODS + 1):
        found = design_power(before, during, sampling_variance, period_variance,
                             serial_correlation, alpha, analysis=analysis)
        if found.power(effect) >= wanted:
            return during
    return None


def detectable_drift(before: int, sampling_variance, period_variance=0.0,
                     serial_correlation: float = DEFAULT_SERIAL_CORRELATION, alpha=0.05,
                     power=0.8) -> np.ndarray:
    """Return the drift per period the pre-trend check finds with this power (inf if < 3).

    Vectorized over pilots: the drift is √(v + σ²) times a function of λ = σ²/v read
    from a table computed once per (before, ρ̄, α, power).
    """
    sampling, period, alpha, power = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(x, dtype=float)) for x in (
            sampling_variance, period_variance, alpha, power)))
    out = np.full(sampling.shape, np.inf)
    if before < MINIMUM_BEFORE_PERIODS:
        return out
    # Without sampling variance (no variation at all) the drift is undefined: NaN.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sampling > 0, period / sampling, np.nan)
    for level, wanted in {(float(a), float(p)) for a, p in zip(alpha, power, strict=True)}:
        here = (alpha == level) & (power == wanted)
        grid = _drift_table(before, float(serial_correlation), level, wanted)
        scaled = np.interp(np.log1p(ratio[here] / _SMALLEST_RATIO), _LOG_GRID, grid)
        out[here] = scaled * np.sqrt(sampling[here] + period[here])
    return out


def relevant_drift(minimum_effect, before, during):
    """Return the drift per period that alone shifts the estimate by the minimum effect.

    A linear drift s in the gap biases mean(d during) − mean(d before) by s·(B + K)/2,
    the distance between the two phases' middle periods.
    """
    return 2 * np.asarray(minimum_effect, dtype=float) / (np.asarray(before) + during)


def before_periods_needed(minimum_effect, during, sampling_variance, period_variance=0.0,
                          serial_correlation: float = DEFAULT_SERIAL_CORRELATION,
                          alpha=0.05, power=0.8) -> np.ndarray:
    """Return the fewest before-periods whose check finds the relevant drift (NaN: > 104).

    Vectorized over pilots: every argument but ``serial_correlation`` may be an array.
    """
    effect, during, sampling, period, alpha, power = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(x, dtype=float)) for x in (
            minimum_effect, during, sampling_variance, period_variance, alpha, power)))
    needed = np.full(effect.shape, np.nan)
    for before in range(MINIMUM_BEFORE_PERIODS, MOST_PERIODS + 1):
        open_ = np.flatnonzero(np.isnan(needed))
        if not open_.size:
            break
        drift = detectable_drift(before, sampling[open_], period[open_], serial_correlation,
                                 alpha[open_], power[open_])
        found = drift <= relevant_drift(effect[open_], before, during[open_])
        needed[open_[found]] = before
    return needed


# Gauss–Legendre nodes on (0, 1): the quantiles of ûᵀû the power is averaged over.
_NODES, _WEIGHTS = (lambda x, w: ((x + 1) / 2, w / 2))(*np.polynomial.legendre.leggauss(32))
_SMALLEST_RATIO = 1e-3
_RATIOS = np.r_[0.0, np.logspace(-3, 4, 29)]  # λ = σ²/v for the drift table
_LOG_GRID = np.log1p(_RATIOS / _SMALLEST_RATIO)


@functools.lru_cache(maxsize=1024)
def _drift_table(before: int, rho: float, alpha: float, power: float) -> np.ndarray:
    """Return the detectable drift over √(v + σ²) at each λ of `_RATIOS`, for v = 1."""
    position = np.arange(before)
    shape = Shape.of(position, position, rho)
    normal = np.full(_RATIOS.shape, -ndtri(alpha / 2))
    se, _, margins = _margins(shape, np.ones(_RATIOS.shape), _RATIOS, normal)
    return _solve(margins, power) * se / np.sqrt(1 + _RATIOS)


def _margins(shape: Shape, sampling: np.ndarray, period: np.ndarray, normal: np.ndarray):
    """Return (true se, df at σ², c_t·ŝe/se at the nodes of σ̂²), one row per entry."""
    a = shape.contrast
    se = np.sqrt(sampling * float(a @ a) + period * shape.ar_variance)
    if shape.residual_df < 1:
        return se, np.full(se.shape, np.inf), np.repeat(normal[:, None], _NODES.size, 1)
    expected, spread = shape.variance_moments(sampling, period)
    df = 2 * expected**2 / spread
    offset = sampling * float(np.trace(shape.residual))
    mean, spread_rss = offset + period * shape.tr_ms, _rss_spread(shape, sampling, period)
    g, h = spread_rss / (2 * mean), 2 * mean**2 / spread_rss
    rss = g[:, None] * chdtri(h[:, None], 1 - _NODES[None, :])
    estimate = np.maximum(0.0, rss - offset[:, None]) / shape.tr_ms
    flat = estimate.ravel()
    repeat = np.repeat(sampling, _NODES.size)
    node_expected, node_spread = shape.variance_moments(repeat, flat)
    with np.errstate(divide="ignore", invalid="ignore"):
        node_df = np.where(node_spread > 0, 2 * node_expected**2 / node_spread, np.inf)
    critical = critical_value(np.repeat(normal, _NODES.size), node_df)
    node_se = np.sqrt(repeat * float(a @ a) + flat * shape.ar_variance)
    return se, df, (critical * node_se).reshape(estimate.shape) / se[:, None]


def _rss_spread(shape: Shape, sampling: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Return Var(ûᵀû) = 2tr((M(vI + σ²S))²) for constant sampling variances."""
    m = shape.residual
    return 2 * (sampling**2 * float(np.sum(m * m)) + 2 * sampling * period
                * float(shape.diag_msm.sum()) + period**2 * shape.tr_msms)


def _power(ratio, margins, weights) -> np.ndarray:
    """Return Σᵢ wᵢ Φ(x − mᵢ) for x = effect/se, one x per row of margins."""
    return ndtr(np.asarray(ratio)[..., None] - margins) @ weights


def _solve(margins: np.ndarray, power: float) -> np.ndarray:
    """Return x with Σᵢ wᵢ Φ(x − mᵢ) = power per row, by bisection (monotone in x)."""
    low = np.zeros(len(margins))
    high = np.max(margins, axis=1) + 10.0
    for _ in range(36):  # (max margin + 10) / 2³⁶: far below any number shown
        middle = (low + high) / 2
        below = _power(middle, margins, _WEIGHTS) < power
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    return (low + high) / 2


def _normal_critical(analysis: str, alpha: float, before: int, during: int,
                     rho: float) -> float:
    """Return the final look's critical value on the normal scale."""
    if analysis == "fixed":
        return float(-ndtri(alpha / 2))
    if analysis == "always-valid":
        # τ² tuned to the final variance: the half-width over se depends on α alone.
        tau2 = always_valid.mixing_variance(alpha, 1.0)
        return float(always_valid.half_width(1.0, tau2, alpha))
    fractions = information_fraction(before, np.arange(1, during + 1), during)
    return float(sequential.obf_boundaries(alpha, list(fractions))[-1])


def _check(before, during, sampling, period, rho, analysis) -> None:
    if before < 1 or during < 1:
        raise ValueError(f"a design needs at least 1 before- and 1 during-period, got "
                         f"{before} and {during}")
    if not (math.isfinite(sampling) and sampling > 0):
        raise ValueError(f"the sampling variance must be greater than 0, got {sampling}")
    if not (math.isfinite(period) and period >= 0):
        raise ValueError(f"the period-to-period variance must be 0 or more, got {period}")
    if not 0 <= rho < 1:
        raise ValueError(f"the serial correlation must lie in [0, 1), got {rho}")
    if analysis not in ANALYSES:
        raise ValueError(f"unknown analysis {analysis!r}; expected one of {ANALYSES}")
