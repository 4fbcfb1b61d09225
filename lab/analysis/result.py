"""The Recommendation: what `lab check`, the web, the API and notebooks all show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lab.stats.results import finite_or_none


@dataclass(frozen=True)
class MetricResult:
    """One metric at the current look; estimate and interval oriented (positive is better).

    ``estimate``, ``ci_low``, ``ci_high`` are the interval the decision read; ``lift`` is
    pilot/control − 1 (not oriented) with a log-ratio interval.
    """

    key: str
    role: str
    kind: str
    direction: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    lift: float
    lift_ci_low: float
    lift_ci_high: float
    method: str
    n_pilot: float
    n_control: float

    def to_dict(self) -> dict:
        """Return the JSON-ready dict (NaN becomes None)."""
        numbers = ("estimate", "ci_low", "ci_high", "p_value", "lift", "lift_ci_low",
                   "lift_ci_high", "n_pilot", "n_control")
        out = {"key": self.key, "role": self.role, "kind": self.kind,
               "direction": self.direction}
        out.update({name: finite_or_none(getattr(self, name)) for name in numbers})
        out["method"] = self.method
        return {k: out[k] for k in METRIC_KEYS}


METRIC_KEYS = ("key", "role", "kind", "direction", "estimate", "ci_low", "ci_high", "p_value",
               "lift", "lift_ci_low", "lift_ci_high", "method", "n_pilot", "n_control")


@dataclass(frozen=True)
class LookResult:
    """The primary metric at one look: its interval and what the rule said then."""

    period: dt.date
    information_fraction: float
    boundary: float
    estimate: float
    ci_low: float
    ci_high: float
    outcome: str

    def to_dict(self) -> dict:
        """Return the JSON-ready dict (NaN becomes None)."""
        return {"period": self.period.isoformat(),
                "information_fraction": finite_or_none(self.information_fraction),
                "boundary": finite_or_none(self.boundary),
                "estimate": finite_or_none(self.estimate),
                "ci_low": finite_or_none(self.ci_low), "ci_high": finite_or_none(self.ci_high),
                "outcome": self.outcome}


@dataclass(frozen=True)
class Recommendation:
    """A pilot's recommended outcome with the reasons and the numbers behind it."""

    pilot: str
    outcome: str
    reasons: list[str]
    design: str
    analysis: str
    final: bool
    information_fraction: float
    srm_p_value: float | None
    needed_sample: int | None
    projected_date: dt.date | None
    metrics: list[MetricResult] = field(default_factory=list)
    looks: list[LookResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> MetricResult | None:
        """Return the primary metric's result, if there is one."""
        return next((m for m in self.metrics if m.role == "primary"), None)

    def to_dict(self) -> dict:
        """Return exactly what `lab check --json` prints (JSON-ready, NaN as None)."""
        return {
            "pilot": self.pilot, "outcome": self.outcome, "reasons": list(self.reasons),
            "design": self.design, "analysis": self.analysis, "final": bool(self.final),
            "information_fraction": finite_or_none(self.information_fraction),
            "srm_p_value": finite_or_none(self.srm_p_value),
            "needed_sample": None if self.needed_sample is None else int(self.needed_sample),
            "projected_date": self.projected_date.isoformat() if self.projected_date else None,
            "metrics": [m.to_dict() for m in self.metrics],
            "looks": [look.to_dict() for look in self.looks],
            "notes": list(self.notes),
        }


RECOMMENDATION_KEYS = ("pilot", "outcome", "reasons", "design", "analysis", "final",
                       "information_fraction", "srm_p_value", "needed_sample",
                       "projected_date", "metrics", "looks", "notes")
