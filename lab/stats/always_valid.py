"""Always-valid inference: the normal-mixture confidence sequence, or mSPRT (STATISTICS §3).

With cumulative estimate θ̂ and variance V at a look and mixing variance τ²,

    Λ = √(V/(V+τ²)) · exp(τ²θ̂² / (2V(V+τ²))),
    half-width = √( V(V+τ²)/τ² · [2 ln(1/α) + ln((V+τ²)/V)] ),

so that 0 lies outside the interval exactly when Λ ≥ 1/α (Robbins 1970; Johari, Koomen,
Pekelis & Walsh 2022; Waudby-Smith et al. 2023). The p-value is the running minimum of
1/Λ, valid at any stopping time.
"""

from __future__ import annotations

import numpy as np


def mixing_variance(alpha, planned_variance) -> np.ndarray:
    """Return τ² = c·V_planned with c = −2 ln α + ln(1 − 2 ln α).

    This τ² makes the boundary tightest near the planned variance (Howard et al. 2021,
    eq. 3.9 approximation).
    """
    log_alpha = np.log(np.asarray(alpha, dtype=float))
    return (-2 * log_alpha + np.log(1 - 2 * log_alpha)) * np.asarray(planned_variance,
                                                                     dtype=float)


def half_width(variance, tau2, alpha) -> np.ndarray:
    """Return the confidence-sequence half-width √(V(V+τ²)/τ²·[2 ln(1/α) + ln((V+τ²)/V)])."""
    v, tau2 = np.asarray(variance, dtype=float), np.asarray(tau2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_inverse = -np.log(np.asarray(alpha, dtype=float))
        return np.sqrt(v * (v + tau2) / tau2 * (2 * log_inverse + np.log1p(tau2 / v)))


def likelihood_ratio(estimate, variance, tau2) -> np.ndarray:
    """Return the mixture likelihood ratio Λ against θ = 0."""
    theta, v = np.asarray(estimate, dtype=float), np.asarray(variance, dtype=float)
    tau2 = np.asarray(tau2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_ratio = 0.5 * np.log(v / (v + tau2)) + tau2 * theta**2 / (2 * v * (v + tau2))
        return np.exp(log_ratio)


def always_valid_p(estimate, variance, tau2) -> np.ndarray:
    """Return the always-valid p-values along the last axis (looks): running min of 1/Λ."""
    with np.errstate(divide="ignore"):
        instant = np.minimum(1.0, 1.0 / likelihood_ratio(estimate, variance, tau2))
    instant = np.where(np.isnan(instant), 1.0, instant)
    return np.minimum.accumulate(instant, axis=-1)


def confidence_sequence(estimate, variance, tau2, alpha: float):
    """Return (low, high) of the 1 − α confidence sequence at each look."""
    width = half_width(variance, tau2, alpha)
    estimate = np.asarray(estimate, dtype=float)
    return estimate - width, estimate + width
