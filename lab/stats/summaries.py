"""Sufficient statistics of one arm, pooled exactly over periods (STATISTICS §1).

Each summary exposes the uniform triple the array functions use: ``n`` (trials, units
or exposure), ``total`` (successes, n·mean or events) and ``total_sq`` (for means the
squared deviations about the mean, (n−1)sd², NaN otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def _require(name: str, value: float, *, positive: bool = False) -> None:
    """Refuse NaN, infinities and negatives (or non-positives) naming the field."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if value < 0 or (positive and value == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise ValueError(f"{name} must be {bound}, got {value}")


@dataclass(frozen=True)
class ProportionSummary:
    """Successes out of trials; add two to pool periods."""

    successes: float
    trials: float
    kind = "proportion"

    def __post_init__(self) -> None:
        _require("successes", self.successes)
        _require("trials", self.trials)
        if self.successes > self.trials:
            raise ValueError(f"successes ({self.successes}) exceed trials ({self.trials})")

    def __add__(self, other: ProportionSummary) -> ProportionSummary:
        return ProportionSummary(self.successes + other.successes, self.trials + other.trials)

    @property
    def n(self) -> float:
        return self.trials

    @property
    def total(self) -> float:
        return self.successes

    @property
    def total_sq(self) -> float:
        return math.nan


@dataclass(frozen=True)
class MeanSummary:
    """Count, mean and standard deviation; add two to pool periods exactly.

    Pooling: N = Σnₖ, m = Σnₖmₖ/N, s² = [Σ(nₖ−1)sₖ² + Σnₖ(mₖ−m)²]/(N−1).
    """

    n: float
    mean: float
    sd: float
    kind = "mean"

    def __post_init__(self) -> None:
        _require("n", self.n)
        if self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if not isinstance(self.mean, int | float) or not math.isfinite(self.mean):
            raise ValueError(f"mean must be a finite number, got {self.mean!r}")
        _require("sd", self.sd)

    @classmethod
    def from_totals(cls, n: float, total: float, total_sq: float) -> MeanSummary:
        """Build from n, Σx and the squared deviations about the mean (the frame's triple)."""
        mean = total / n
        variance = max(total_sq, 0.0) / (n - 1) if n > 1 else 0.0
        return cls(n, mean, math.sqrt(variance))

    def __add__(self, other: MeanSummary) -> MeanSummary:
        count = self.n + other.n
        mean = (self.n * self.mean + other.n * other.mean) / count
        within = (self.n - 1) * self.sd**2 + (other.n - 1) * other.sd**2
        between = self.n * (self.mean - mean) ** 2 + other.n * (other.mean - mean) ** 2
        return MeanSummary(count, mean, math.sqrt((within + between) / (count - 1)))

    @property
    def total(self) -> float:
        return self.n * self.mean

    @property
    def total_sq(self) -> float:
        return (self.n - 1) * self.sd**2


@dataclass(frozen=True)
class RateSummary:
    """Events over exposure; add two to pool periods."""

    events: float
    exposure: float
    kind = "rate"

    def __post_init__(self) -> None:
        _require("events", self.events)
        _require("exposure", self.exposure, positive=True)

    def __add__(self, other: RateSummary) -> RateSummary:
        return RateSummary(self.events + other.events, self.exposure + other.exposure)

    @property
    def n(self) -> float:
        return self.exposure

    @property
    def total(self) -> float:
        return self.events

    @property
    def total_sq(self) -> float:
        return math.nan


Summary = ProportionSummary | MeanSummary | RateSummary
SUMMARY_TYPES = {"proportion": ProportionSummary, "mean": MeanSummary, "rate": RateSummary}
