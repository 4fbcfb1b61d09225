"""Comparison scopes: synthetic-control weights and placebo inference across scopes.

One treated scope (unit 0) against J comparison scopes (units 1..J), each a series of
oriented per-period levels. The estimator is the synthetic control of Abadie, Diamond &
Hainmueller (2010) on demeaned series (Ferman & Pinto 2021): every series is centred on
its own before-period mean, and the weights w ≥ 0, Σw = 1 minimise the before-period
squared distance between the treated series and the weighted comparisons,

    ŵ = argmin_w Σ_{t before} (ỹ₀ₜ − Σⱼ wⱼ ỹⱼₜ)²,     ỹᵢₜ = yᵢₜ − mean_{before}(yᵢ).

Demeaning lets scopes of different levels (a channel converting at 4% against ones at
2–6%) be compared, as diff-in-diff does, while the weights still match the before-period
movements; without it a treated level outside the comparisons' range cannot be fitted.
The gap gₜ = ỹ₀ₜ − Σ ŵⱼỹⱼₜ; the effect after k during-periods is the mean gap over them.

Inference: placebo in space (Abadie et al. 2010, §4; Firpo & Possebom 2018). Each
comparison scope in turn is treated as if it were the pilot, fitted from the other
comparisons,
and its effect studentised by its own before-period fit,

    Sᵢ = mean_{during}(gᵢ) / (RMSPEᵢ / √k),     RMSPEᵢ = √mean_{before}(gᵢ²).

If the pilot has no effect and the scopes are exchangeable, the treated Sᵢ is equally
likely to hold any rank among the J + 1, so the two-sided p-value is
#{i : |Sᵢ| ≥ |S₀|} / (J + 1), never below 1/(J + 1). With a constant effect τ, only S₀
moves (subtracting τ from the treated during-levels leaves the placebos as they were),
so the test inverts to the interval estimate ± c·scale with c the placebo quantile of
`placebo_critical`: the interval excludes 0 exactly when the test rejects. Ordinary
(cluster-robust) errors with one treated scope are never used: they are invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from lab.stats import always_valid, sequential

MINIMUM_COMPARISONS, MAXIMUM_COMPARISONS = 2, 20
# The weight given to Σw = 1 in the augmented least squares, relative to the data's scale:
# large enough that the sum holds to about 1e-10, small enough to keep the system sound.
_SUM_WEIGHT = 1e5


def simplex_weights(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Return w ≥ 0 with Σw = 1 minimising ‖target − donors·w‖².

    Parameters
    ----------
    target : (T,) the series to match.
    donors : (T, J) one column per comparison series.

    Solved as non-negative least squares (Lawson & Hanson 1974) with the row Σw = 1
    appended at a large weight, then renormalised. Checked against pysyncon's `Synth`.
    """
    # Imported here: scipy.optimize is heavy, and `lab check` of pilots of other designs
    # never fits weights (tests/test_startup.py).
    from scipy.optimize import nnls

    target, donors = np.asarray(target, float), np.asarray(donors, float)
    if donors.ndim != 2 or donors.shape[0] != target.shape[0] or donors.shape[1] < 1:
        raise ValueError(f"donors must be (T, J) with T = {target.shape[0]}, "
                         f"got {donors.shape}")
    if not (np.isfinite(target).all() and np.isfinite(donors).all()):
        raise ValueError("the series to weight must be finite")
    scale = max(float(np.abs(donors).max(initial=0.0)), float(np.abs(target).max(initial=0.0)),
                1e-12)
    big = _SUM_WEIGHT * scale
    a = np.vstack([donors, np.full((1, donors.shape[1]), big)])
    w, _ = nnls(a, np.append(target, big), maxiter=50 * donors.shape[1] + 100)
    total = w.sum()
    return w / total if total > 0 else np.full(donors.shape[1], 1.0 / donors.shape[1])


@dataclass(frozen=True)
class PlaceboFit:
    """Every scope fitted from the others: unit 0 is the treated scope.

    ``weights[i]`` holds unit i's weights on all N units (its own and, for a placebo,
    the treated scope's are 0); ``gaps`` (N, T)
    the demeaned series minus their synthetic ones; ``rmspe`` (N,) the before-period
    root mean squared gap, the fit's quality in the metric's unit.
    """

    weights: np.ndarray
    gaps: np.ndarray
    rmspe: np.ndarray

    @property
    def comparisons(self) -> int:
        """Return J, the number of comparison scopes."""
        return self.gaps.shape[0] - 1


def placebo_fits(levels: np.ndarray, before: np.ndarray) -> PlaceboFit:
    """Fit each scope's synthetic control from the comparisons over the before-periods.

    The treated scope is fitted from the J comparisons, each comparison (as a placebo)
    from the other J − 1, never from the treated scope: its during-periods carry the
    pilot's effect, which would otherwise leak into the placebos (as in Abadie et al.
    2010 and pysyncon's `PlaceboTest`).

    ``levels`` (N, T): unit 0 the treated scope, then the J comparison scopes, every
    period present; ``before`` (T,) bool. Needs J ≥ 2 and 2 before-periods.
    """
    levels, before = np.asarray(levels, float), np.asarray(before, bool)
    n = levels.shape[0]
    if n - 1 < MINIMUM_COMPARISONS:
        raise ValueError(f"placebo inference needs at least {MINIMUM_COMPARISONS} "
                         f"comparison scopes, got {n - 1}")
    if before.sum() < 2:
        raise ValueError(f"the weights need at least 2 before-periods, got {before.sum()}")
    centred = levels - levels[:, before].mean(axis=1, keepdims=True)
    weights = np.zeros((n, n))
    for i in range(n):
        others = np.arange(1, n) if i == 0 else np.delete(np.arange(1, n), i - 1)
        weights[i, others] = simplex_weights(centred[i, before], centred[others][:, before].T)
    gaps = centred - weights @ centred
    rmspe = np.sqrt(np.mean(gaps[:, before] ** 2, axis=1))
    return PlaceboFit(weights, gaps, rmspe)


def studentised(fit: PlaceboFit, during: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray]:
    """Return (effect, scale, statistic) of every unit over the chosen during-periods.

    The scale RMSPE/√k is the standard error the gap would have with independent periods
    as noisy as the before-fit; it only orders the units (any common factor cancels in
    the ranks), so serial correlation shared by the scopes leaves the test exact.
    """
    during = np.asarray(during, bool)
    k = int(during.sum())
    if k == 0:
        nan = np.full(fit.gaps.shape[0], np.nan)
        return nan, nan, nan
    effect = fit.gaps[:, during].mean(axis=1)
    scale = fit.rmspe / np.sqrt(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(scale > 0, effect / scale, np.sign(effect) * np.inf)
    return effect, scale, statistic


def placebo_p_value(statistic: np.ndarray) -> float:
    """Return the two-sided placebo p-value of unit 0: #{i : |Sᵢ| ≥ |S₀|} / (J + 1)."""
    s = np.abs(np.asarray(statistic, float))
    if np.isnan(s[0]):
        return float("nan")
    return float(np.count_nonzero(s >= s[0]) / s.size)


def placebo_critical(placebo: np.ndarray, level: np.ndarray | float) -> np.ndarray:
    """Return c such that |S₀| > c rejects at two-sided ``level`` (inf: out of reach).

    With N = J + 1 units the test rejects when at most ⌊level·N⌋ − 1 placebos reach
    |S₀|, so c is the ⌊level·N⌋-th largest placebo |Sⱼ|; when level·N < 1 no data can
    reject and c = inf. ``placebo`` holds the J placebo statistics.
    """
    s = np.sort(np.abs(np.asarray(placebo, float)))[::-1]
    level = np.asarray(level, float)
    allowed = np.floor(level * (s.size + 1) + 1e-9).astype(int)
    # A treated statistic equal to c is a tie with that placebo: not rejected (|S₀| > c).
    picked = np.where(allowed >= 1, s[np.clip(allowed - 1, 0, max(s.size - 1, 0))], np.inf)
    return np.where(np.isnan(level), np.nan, picked)


def lenient_level(alpha: float, analysis: str, looks: int) -> float:
    """Return the largest two-sided level any of ``looks`` equally spaced looks reads at.

    fixed: α at its one look; sequential: the O'Brien–Fleming boundary's nominal level at
    the final look (its smallest c); always-valid: the mixture's narrowest width (in
    standard errors) over the looks, with τ² tuned to the final variance. Placebo
    inference can reject at some look only if 1/(J + 1) is at most this level.
    """
    if analysis == "fixed":
        return float(alpha)
    fractions = np.arange(1, looks + 1) / looks
    if analysis == "sequential":
        critical = float(sequential.obf_boundaries_many(alpha, [list(fractions)])[0].min())
    elif analysis == "always-valid":
        variance = 1.0 / fractions  # the estimate's variance at each look, 1 at the end
        tau2 = always_valid.mixing_variance(alpha, 1.0)
        critical = float(np.min(always_valid.half_width(variance, tau2, alpha)
                                / np.sqrt(variance)))
    else:
        raise ValueError(f"unknown analysis {analysis!r}")
    return float(2 * ndtr(-critical))


def minimum_p(comparisons: int) -> float:
    """Return the smallest p-value placebo inference across J scopes reaches: 1/(J + 1)."""
    return 1.0 / (comparisons + 1)


def comparisons_needed(level: float) -> int:
    """Return the smallest J whose placebo test can reject at two-sided ``level``."""
    return max(MINIMUM_COMPARISONS, int(np.ceil(1.0 / level - 1e-9)) - 1)


def placebo_mde(levels_before: np.ndarray, during: int, level: float,
                power: float) -> float:
    """Return about the smallest effect the treated scope can show, from placebo runs.

    A placebo in time: the weights are fitted on the before-periods but the last
    ``during`` (capped at half of them), every scope is read over those held-out
    periods, where no pilot ran, and the placebo statistics set the critical value. The
    effect is that critical value plus the statistics' spread at the planned power, times
    the treated scope's held-out scale. NaN when the test cannot reject at all.
    """
    levels_before = np.asarray(levels_before, float)
    t = levels_before.shape[1]
    held = min(int(during), t // 2)
    if held < 1 or t - held < 2:
        return float("nan")
    before = np.arange(t) < t - held
    fit = placebo_fits(levels_before, before)
    _, scale, placebo = studentised(fit, ~before)
    critical = float(placebo_critical(placebo[1:], level))
    if not np.isfinite(critical):
        return float("nan")
    spread = float(np.quantile(np.abs(placebo[np.isfinite(placebo)]), power))
    return (critical + spread) * float(scale[0]) * np.sqrt(held / max(int(during), 1))
