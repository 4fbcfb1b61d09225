"""Service-level targets: an absolute level a metric's pilot arm should reach.

A metric may declare `target = { at_least = 0.84 }` ("replied within 60 minutes in at
least 84% of cases") or `target = { at_most = … }`, in the metric's own unit: a share
strictly between 0 and 1, a mean within the metric's `least` and `most` when it declares
them, a rate above 0. The comparison with control decides the outcome; the target only
says whether the pilot arm, on its own, reaches the level the business promised
(`lab.stats.intervals.attainment`, README "Pre-registration files").
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from lab.kinds import LARGEST_VALUE, did_you_mean, plain_number
from lab.pilots.validation import Strict
from lab.vocabulary import Bound, Kind


class TargetSpec(Strict):
    """One bound: the pilot arm's level should be at least, or at most, this value."""

    at_least: float | None = Field(default=None, allow_inf_nan=False)
    at_most: float | None = Field(default=None, allow_inf_nan=False)

    _plain_numbers = field_validator("at_least", "at_most", mode="before")(plain_number)

    @model_validator(mode="after")
    def _one_bound(self) -> TargetSpec:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("a target names exactly one bound: at_least or at_most")
        return self

    @property
    def bound(self) -> Bound:
        """Return which side the level must stay on."""
        return Bound.at_least if self.at_least is not None else Bound.at_most

    @property
    def value(self) -> float:
        """Return the target level, in the metric's unit."""
        return self.at_least if self.at_least is not None else self.at_most  # type: ignore

    def to_dict(self) -> dict:
        """Return the target as the plan writes it: {"at_least": 0.84}."""
        return {self.bound.value: self.value}


def target_fits(metric):
    """Refuse a target the metric's kind cannot reach (a MetricSpec after-validator)."""
    target = metric.target
    if target is None:
        return metric
    value, said = target.value, f"target.{target.bound} = {target.value:g}"
    if metric.kind is Kind.proportion and not 0 < value < 1:
        raise ValueError(f"{said} is impossible for a share, which lies strictly between 0 "
                         f"and 1 (shares are written as fractions){did_you_mean(value)}")
    if metric.kind is Kind.rate and value <= 0:
        raise ValueError(f"{said} is impossible for a rate, which is more than 0 (events "
                         "per unit of exposure)")
    if abs(value) > LARGEST_VALUE:
        raise ValueError(f"{said} lies beyond what a metric may be (±{LARGEST_VALUE:.0e})")
    least, most = metric.least, metric.most
    if (least is not None and value <= least) or (most is not None and value >= most):
        raise ValueError(f"{said} must lie inside the metric's bounds "
                         f"({'any' if least is None else f'{least:g}'} to "
                         f"{'any' if most is None else f'{most:g}'}), where it can be "
                         "missed and met")
    return metric
