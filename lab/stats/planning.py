"""Planning: sample size per arm, minimum detectable effect, weeks (STATISTICS §7)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.special import ndtri

# Sample needed relative to one final look for the same power: Lan–DeMets O'Brien–
# Fleming costs about 3% (Jennison & Turnbull 2000, table 2.7); the normal-mixture
# confidence sequence about 80% more (Johari et al. 2022).
INFLATION = {"fixed": 1.0, "sequential": 1.03, "always-valid": 1.8}


def _t_test_power():
    """Return statsmodels' TTestIndPower, imported on first use (it takes seconds)."""
    from statsmodels.stats.power import TTestIndPower

    return TTestIndPower()


def _z(p: float) -> float:
    return float(ndtri(p))


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    if not 0 < power < 1:
        raise ValueError(f"power must lie between 0 and 1, got {power}")


def proportion_sample_size(baseline: float, minimum_effect: float, alpha: float = 0.05,
                           power: float = 0.8, direction: str = "increase") -> float:
    """Return n per arm, n = [z₁₋α/₂√(2p̄q̄) + z₁₋β√(p₁q₁ + p₂q₂)]² / δ².

    The formula of R's ``power.prop.test`` (Fleiss, Levin & Paik 2003, §4.2).
    """
    _check(alpha, power)
    p1 = baseline
    p2 = baseline + minimum_effect if direction == "increase" else baseline - minimum_effect
    if not (0 < p1 < 1 and 0 < p2 < 1):
        raise ValueError(f"baseline {baseline} moved by {minimum_effect} leaves (0, 1)")
    mean = (p1 + p2) / 2
    root = (_z(1 - alpha / 2) * math.sqrt(2 * mean * (1 - mean))
            + _z(power) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2)))
    return root**2 / minimum_effect**2


def mean_sample_size(sd: float, minimum_effect: float, alpha: float = 0.05,
                     power: float = 0.8) -> float:
    """Return n per arm from the noncentral t (``_t_test_power().solve_power``), d = δ/σ."""
    _check(alpha, power)
    if sd <= 0:
        raise ValueError(f"sd must be greater than 0, got {sd}")
    return float(_t_test_power().solve_power(effect_size=minimum_effect / sd, alpha=alpha,
                                             power=power, ratio=1.0))


def mean_power(sd: float, effect: float, sample: float, alpha: float = 0.05) -> float:
    """Return the power of the two-sided two-sample t test (noncentral t, equal n per arm)."""
    return float(_t_test_power().power(effect_size=effect / sd, nobs1=sample, alpha=alpha,
                                       ratio=1.0))


def rate_sample_size(baseline: float, minimum_effect: float, alpha: float = 0.05,
                     power: float = 0.8, direction: str = "increase") -> float:
    """Return exposure per arm, n = (z₁₋α/₂ + z₁₋β)²(1/λ₁ + 1/λ₂) / ln²(λ₁/λ₂).

    The Wald test on the log rate ratio (Zhu & Lakkis 2014, method 1 at equal exposure).
    """
    _check(alpha, power)
    rate1 = baseline
    rate2 = baseline + minimum_effect if direction == "increase" else baseline - minimum_effect
    if rate1 <= 0 or rate2 <= 0:
        raise ValueError(f"rates must stay above 0 (baseline {baseline}, effect "
                         f"{minimum_effect})")
    return ((_z(1 - alpha / 2) + _z(power)) ** 2 * (1 / rate1 + 1 / rate2)
            / math.log(rate1 / rate2) ** 2)


def unit_variance(kind: str, baseline: float | None, sd: float | None = None) -> float:
    """Return the per-unit variance σ² of one arm: p(1−p), sd², or λ per unit exposure."""
    if kind == "proportion":
        if baseline is None or not 0 < baseline < 1:
            raise ValueError(f"a proportion baseline must lie between 0 and 1, got {baseline}")
        return baseline * (1 - baseline)
    if kind == "mean":
        if sd is None or sd <= 0:
            raise ValueError(f"a mean metric needs sd greater than 0, got {sd}")
        return sd**2
    if kind == "rate":
        if baseline is None or baseline <= 0:
            raise ValueError(f"a rate baseline must be greater than 0, got {baseline}")
        return baseline
    raise ValueError(f"unknown metric kind {kind!r}")


def guardrail_sample_size(variance: float, margin: float, alpha: float = 0.05,
                          power: float = 0.8, guardrails: int = 1) -> float:
    """Return n per arm to show non-inferiority within ``margin``.

    n = (z₁₋α/₂ + z₁₋β/(G+1))²(σ₁² + σ₂²)/m², equal variances in both arms. The decision
    shows a guardrail safe when the lower end of its two-sided 1 − α interval clears
    −m, a one-sided test at α/2, so the plan uses the same z₁₋α/₂; the power of each of
    G guardrails is 1 − β/(G+1) so that all pass together (STATISTICS §5).
    """
    _check(alpha, power)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    beta = (1 - power) / (guardrails + 1)
    return (_z(1 - alpha / 2) + _z(1 - beta)) ** 2 * 2 * variance / margin**2


def sample_size(kind: str, minimum_effect: float, *, baseline: float | None = None,
                sd: float | None = None, alpha: float = 0.05, power: float = 0.8,
                direction: str = "increase") -> float:
    """Return the fixed-horizon n per arm for a primary of this kind."""
    if minimum_effect <= 0:
        raise ValueError(f"minimum_effect must be greater than 0, got {minimum_effect}")
    if kind == "proportion":
        unit_variance(kind, baseline)
        return proportion_sample_size(baseline, minimum_effect, alpha, power, direction)
    if kind == "mean":
        return mean_sample_size(sd if sd is not None else -1.0, minimum_effect, alpha, power)
    if kind == "rate":
        unit_variance(kind, baseline)
        return rate_sample_size(baseline, minimum_effect, alpha, power, direction)
    raise ValueError(f"unknown metric kind {kind!r}")


def minimum_detectable_effect(kind: str, sample: float, *, baseline: float | None = None,
                              sd: float | None = None, alpha: float = 0.05,
                              power: float = 0.8, direction: str = "increase") -> float:
    """Return the δ whose fixed-horizon n per arm equals ``sample``.

    Means: d·σ with d from ``_t_test_power().solve_power(nobs1=sample)``; proportions and
    rates: the root in δ of the sample-size formula (brentq).
    """
    if sample < 2:
        raise ValueError(f"sample must be at least 2 per arm, got {sample}")
    if kind == "mean":
        variance = unit_variance(kind, baseline, sd)
        effect = _t_test_power().solve_power(nobs1=sample, alpha=alpha, power=power,
                                             ratio=1.0)
        return float(effect) * math.sqrt(variance)
    unit_variance(kind, baseline, sd)
    room = (1 - baseline) if kind == "proportion" and direction == "increase" else baseline
    if kind == "rate":
        # A drop to a rate near 0 needs ever more exposure (1/λ₂ grows faster than
        # ln²): search up to a 99% drop; a rise has no ceiling worth planning past ×10⁶.
        room = 1e6 * baseline if direction == "increase" else 0.99 * baseline
    high = room * (1 - 1e-9)

    def excess(delta: float) -> float:
        return sample_size(kind, delta, baseline=baseline, sd=sd, alpha=alpha, power=power,
                           direction=direction) - sample

    if excess(high) > 0:
        raise ValueError(f"a sample of {sample} per arm cannot detect any possible effect")
    from scipy import optimize

    return float(optimize.brentq(excess, high * 1e-9, high, xtol=1e-14, rtol=1e-12))


def weeks_needed(sample_per_arm: float, weekly_volume: float, allocation: float = 0.5) -> int:
    """Return the weeks for the pilot arm to reach ``sample_per_arm`` at this weekly volume.

    ``weekly_volume`` counts both arms; the pilot arm gets ``allocation`` of it.
    """
    if weekly_volume <= 0:
        raise ValueError(f"weekly volume must be greater than 0, got {weekly_volume}")
    per_week = weekly_volume * min(allocation, 1 - allocation)
    return max(1, math.ceil(sample_per_arm / per_week))


@dataclass(frozen=True)
class Plan:
    """A sample-size plan, before and after the analysis inflation."""

    kind: str
    analysis: str
    fixed_sample: float
    inflation: float
    sample_per_arm: int
    guardrail_sample: int | None = None
    weeks: int | None = None


def plan(kind: str, minimum_effect: float, *, baseline: float | None = None,
         sd: float | None = None, alpha: float = 0.05, power: float = 0.8,
         direction: str = "increase", analysis: str = "sequential",
         guardrail_margins: tuple[tuple[float, float], ...] = (),
         weekly_volume: float | None = None) -> Plan:
    """Return the planned sample per arm: the larger of primary and guardrail needs, inflated.

    ``guardrail_margins`` holds (per-unit variance, margin) per guardrail.
    """
    if analysis not in INFLATION:
        raise ValueError(f"analysis must be one of {', '.join(INFLATION)}, got {analysis!r}")
    fixed = sample_size(kind, minimum_effect, baseline=baseline, sd=sd, alpha=alpha,
                        power=power, direction=direction)
    guard = max((guardrail_sample_size(v, m, alpha, power, len(guardrail_margins))
                 for v, m in guardrail_margins), default=None)
    needed = max(fixed, guard or 0.0) * INFLATION[analysis]
    sample = math.ceil(needed)
    weeks = weeks_needed(sample, weekly_volume) if weekly_volume else None
    return Plan(kind, analysis, fixed, INFLATION[analysis], sample,
                math.ceil(guard) if guard else None, weeks)
