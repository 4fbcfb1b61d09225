"""The gates a look must pass before the decision rule reads it (STATISTICS §4)."""

from __future__ import annotations

import numpy as np
from scipy.special import chdtrc

from lab.stats.always_valid import likelihood_ratio

MINIMUM_SUCCESSES = 30  # and as many failures, per arm, for a proportion
MINIMUM_UNITS = 30  # per arm, for a mean
MINIMUM_EVENTS = 20  # per arm, for a rate
SRM_THRESHOLD = 0.001
# The split check's mixture is tuned to a share about 3 points off the plan: broken
# assignments are usually that far off or further (Fabijan et al. 2019); in simulation
# 0.03 caught more broken splits than 0.02 or 0.05 at the same false-alarm rate.
SRM_TAU = 0.03


def enough_data(kind: str, n, total) -> np.ndarray:
    """Return True where one arm has enough data for its normal approximation.

    proportion: ≥ 30 successes and ≥ 30 failures; mean: n ≥ 30; rate: ≥ 20 events.
    """
    n, total = np.asarray(n, dtype=float), np.asarray(total, dtype=float)
    if kind == "proportion":
        return (total >= MINIMUM_SUCCESSES) & (n - total >= MINIMUM_SUCCESSES)
    if kind == "mean":
        return n >= MINIMUM_UNITS
    if kind == "rate":
        return total >= MINIMUM_EVENTS
    raise ValueError(f"unknown metric kind {kind!r}")


def srm_p_value(units_pilot, units_control, allocation) -> np.ndarray:
    """Return the χ² goodness-of-fit p-value of the split against the planned allocation.

    χ² = Σ (observed − expected)²/expected over the two arms, 1 df (sample ratio
    mismatch check; Fabijan et al. 2019). NaN when there are no units.
    """
    pilot = np.asarray(units_pilot, dtype=float)
    control = np.asarray(units_control, dtype=float)
    share = np.asarray(allocation, dtype=float)
    total = pilot + control
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_p, expected_c = total * share, total * (1 - share)
        chi2 = (pilot - expected_p) ** 2 / expected_p + (control - expected_c) ** 2 / expected_c
    return np.where(total > 0, chdtrc(1, chi2), np.nan)


def srm_always_valid_p(units_pilot, units_control, allocation) -> np.ndarray:
    """Return the split check's p-value at one look, valid however often it is checked.

    The pilot arm's share s = n₁/(n₁ + n₂) against the planned π: with θ̂ = s − π and
    V = π(1 − π)/N, the normal-mixture likelihood ratio Λ (mixing sd `SRM_TAU`) gives
    min(1, 1/Λ); the running minimum of these over the looks is an always-valid p-value
    (Lindon & Malek 2022 on sequential sample-ratio tests; Johari et al. 2022), so
    checking the split every week keeps false alarms below the threshold across all
    looks. NaN when there are no units.
    """
    pilot = np.asarray(units_pilot, dtype=float)
    control = np.asarray(units_control, dtype=float)
    share = np.asarray(allocation, dtype=float)
    total = pilot + control
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = pilot / total - share
        variance = share * (1 - share) / total
        ratio = likelihood_ratio(estimate, variance, SRM_TAU**2)
        p = np.minimum(1.0, 1.0 / ratio)
    return np.where(total > 0, p, np.nan)
