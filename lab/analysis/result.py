"""The Recommendation: what a pilot's last look says, with its metrics and looks.

What `lab check`, the web, the API, the reports and the notebooks all show: the
outcome at the pilot's last look with its reasons, every metric at that look, and the
primary's look history (`lab.analysis.assemble` builds it from the verdicts).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from lab.stats.results import finite_or_none


@dataclass(frozen=True)
class TargetResult:
    """A metric's service-level target and the pilot arm's level against it (not oriented).

    ``level`` is the pilot arm's value over the pilot so far, ``low`` and ``high`` its
    interval at the look's level; ``attainment`` is meets, misses or unclear
    (`lab.stats.intervals.attainment`).
    """

    bound: str  # at_least | at_most (lab.vocabulary.Bound)
    value: float
    level: float
    low: float
    high: float
    attainment: str

    def to_dict(self) -> dict:
        """Return the JSON-ready dict (NaN becomes None)."""
        return {"bound": self.bound, "value": finite_or_none(self.value),
                "level": finite_or_none(self.level), "low": finite_or_none(self.low),
                "high": finite_or_none(self.high), "attainment": self.attainment}

    @classmethod
    def from_dict(cls, document: dict | None) -> TargetResult | None:
        """Rebuild a target from its `to_dict()`; None stays None."""
        if document is None:
            return None
        return cls(document["bound"], _nan(document["value"]), _nan(document["level"]),
                   _nan(document["low"]), _nan(document["high"]), document["attainment"])


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
    target: TargetResult | None = None  # only for a metric whose plan declares one
    # The pilot arm's own level through the look, in the metric's unit (stand-by rules).
    pilot_value: float = math.nan

    def to_dict(self) -> dict:
        """Return the JSON-ready dict (NaN becomes None)."""
        numbers = ("estimate", "ci_low", "ci_high", "p_value", "lift", "lift_ci_low",
                   "lift_ci_high", "n_pilot", "n_control", "pilot_value")
        out = {"key": self.key, "role": self.role, "kind": self.kind,
               "direction": self.direction}
        out.update({name: finite_or_none(getattr(self, name)) for name in numbers})
        out["method"] = self.method
        out["target"] = None if self.target is None else self.target.to_dict()
        return {k: out[k] for k in METRIC_KEYS}

    @classmethod
    def from_dict(cls, document: dict) -> MetricResult:
        """Rebuild a result from its `to_dict()` (None becomes NaN again).

        An answer stored before targets (or pilot_value) existed has none: it reads as
        no target (and an unknown level).
        """
        return cls(**{name: _nan(document.get(name)) if name in _METRIC_NUMBERS
                      else document[name] for name in METRIC_KEYS if name != "target"},
                   target=TargetResult.from_dict(document.get("target")))


METRIC_KEYS = ("key", "role", "kind", "direction", "estimate", "ci_low", "ci_high", "p_value",
               "lift", "lift_ci_low", "lift_ci_high", "method", "n_pilot", "n_control",
               "target", "pilot_value")
_METRIC_NUMBERS = frozenset(METRIC_KEYS) - {"key", "role", "kind", "direction", "method",
                                            "target"}


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


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
        fraction, boundary, estimate = self.information_fraction, self.boundary, self.estimate
        low, high = self.ci_low, self.ci_high
        # A thousand pilots' histories are some eighty thousand looks: when all five are
        # plain floats and their sum is finite (so is each), no call is needed per number.
        if (type(fraction) is type(boundary) is type(estimate) is type(low) is type(high)
                is float and (total := fraction + boundary + estimate + low + high)
                - total == 0.0):
            return {"period": self.period.isoformat(), "information_fraction": fraction + 0.0,
                    "boundary": boundary + 0.0, "estimate": estimate + 0.0,
                    "ci_low": low + 0.0, "ci_high": high + 0.0, "outcome": self.outcome}
        return {"period": self.period.isoformat(),
                "information_fraction": finite_or_none(self.information_fraction),
                "boundary": finite_or_none(self.boundary),
                "estimate": finite_or_none(self.estimate),
                "ci_low": finite_or_none(self.ci_low), "ci_high": finite_or_none(self.ci_high),
                "outcome": self.outcome}

    @classmethod
    def from_dict(cls, document: dict) -> LookResult:
        """Rebuild a look from its `to_dict()` (None becomes NaN again)."""
        return cls(dt.date.fromisoformat(document["period"]),
                   _nan(document["information_fraction"]), _nan(document["boundary"]),
                   _nan(document["estimate"]), _nan(document["ci_low"]),
                   _nan(document["ci_high"]), document["outcome"])


@dataclass(frozen=True)
class Recommendation:
    """A pilot's recommended outcome with the reasons and the numbers behind it."""

    pilot: str
    outcome: str
    reasons: list[str]
    design: str
    analysis: str
    evidence: str  # randomized, comparison or before-after (lab.vocabulary.EVIDENCE)
    final: bool
    information_fraction: float
    srm_p_value: float | None
    needed_sample: int | None
    projected_date: dt.date | None
    metrics: list[MetricResult] = field(default_factory=list)
    looks: list[LookResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Every other metric's interval at each look, by metric key (the primary's is `looks`).
    metric_looks: dict[str, list[LookResult]] = field(default_factory=dict)

    @property
    def primary(self) -> MetricResult | None:
        """Return the primary metric's result, if there is one."""
        return next((m for m in self.metrics if m.role == "primary"), None)

    def to_dict(self) -> dict:
        """Return exactly what `lab check --json` prints (JSON-ready, NaN as None)."""
        return {
            "pilot": self.pilot, "outcome": self.outcome, "reasons": list(self.reasons),
            "design": self.design, "analysis": self.analysis, "evidence": self.evidence,
            "final": bool(self.final),
            "information_fraction": finite_or_none(self.information_fraction),
            "srm_p_value": finite_or_none(self.srm_p_value),
            "needed_sample": None if self.needed_sample is None else int(self.needed_sample),
            "projected_date": self.projected_date.isoformat() if self.projected_date else None,
            "metrics": [m.to_dict() for m in self.metrics],
            "looks": [look.to_dict() for look in self.looks],
            "notes": list(self.notes),
            "metric_looks": {key: [look.to_dict() for look in looks]
                             for key, looks in self.metric_looks.items()},
        }

    @classmethod
    def from_dict(cls, document: dict) -> Recommendation:
        """Rebuild a Recommendation from its `to_dict()`, as the stored answers keep it.

        ``Recommendation.from_dict(d).to_dict() == d`` for every answer `to_dict` gives.
        """
        projected = document["projected_date"]
        return cls(
            pilot=document["pilot"], outcome=document["outcome"],
            reasons=list(document["reasons"]), design=document["design"],
            analysis=document["analysis"], evidence=document["evidence"],
            final=bool(document["final"]),
            information_fraction=_nan(document["information_fraction"]),
            srm_p_value=document["srm_p_value"], needed_sample=document["needed_sample"],
            projected_date=dt.date.fromisoformat(projected) if projected else None,
            metrics=[MetricResult.from_dict(m) for m in document["metrics"]],
            looks=[LookResult.from_dict(look) for look in document["looks"]],
            notes=list(document["notes"]),
            metric_looks={key: [LookResult.from_dict(look) for look in looks]
                          for key, looks in document["metric_looks"].items()})
