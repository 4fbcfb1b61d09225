"""The API's models of a recommendation: `GET /pilots/KEY/check` (the OpenAPI document's)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from lab import vocabulary
from lab.web.schemas import Reply, literal_of


class TargetOut(Reply):
    """A service-level target and the pilot arm's level against it (the metric's unit)."""

    bound: literal_of(vocabulary.Bound)
    value: float
    level: float | None = Field(description="the pilot arm's value over the pilot so far")
    low: float | None = Field(description="its interval, at the level of the look")
    high: float | None
    attainment: literal_of(vocabulary.Attainment) = Field(
        description="meets: the whole interval on the target's side; misses: the whole "
                    "interval on the other side; unclear: it includes the target")


class MetricOut(Reply):
    model_config = ConfigDict(extra="allow")
    key: str
    role: str
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    target: TargetOut | None = Field(default=None, description="only when the plan declares "
                                                               "a target for the metric")


class Look(Reply):
    model_config = ConfigDict(extra="allow")
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


class CheckOut(Reply):
    """The recommendation, exactly as `lab check --json` prints it (NaN as null)."""

    model_config = ConfigDict(extra="allow")
    pilot: str
    outcome: literal_of(vocabulary.Outcome)
    reasons: list[str]
    metrics: list[MetricOut]
    looks: list[Look]
