"""The pre-registration schema: the plan of one pilot, fixed before data arrive.

A pre-registration is a TOML file in `experiments/` (see README, "Pre-registration
files"). The same pydantic models validate the TOML files, the web form and the JSON
API, so a plan is refused for the same reason wherever it comes from. Its fixed lists
(process, design, analysis, kind, role, direction, function) are the vocabulary's enums.
"""

from __future__ import annotations

import math
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from lab.errors import Invalid
from lab.kinds import LARGEST_VALUE, did_you_mean, plain_number
from lab.pilots.service_levels import TargetSpec, target_fits
from lab.pilots.standby import StandbyPlan
from lab.pilots.validation import Strict, describe_errors
from lab.stats.synthetic import MAXIMUM_COMPARISONS, MINIMUM_COMPARISONS
from lab.vocabulary import Analysis, Design, Direction, Function, Kind, Process, Role

Key = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80,
                      pattern=r"^[a-z0-9][a-z0-9._-]*$"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class HypothesisSpec(Strict):
    key: Key
    statement: Text
    process: Process
    expected_benefit: Text
    sponsors: list[Function] = Field(min_length=1)
    owner: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                            pattern=r"^[^@\s]+@[^@\s]+$")]


class TeamMemberSpec(Strict):
    name: Name
    function: Function


class MetricSpec(Strict):
    key: Key
    kind: Kind
    role: Role
    direction: Direction
    label: Name | None = None
    minimum_effect: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    margin: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    baseline: float | None = Field(default=None, allow_inf_nan=False)
    # A mean metric's own bounds, when it has them (a 0-10 score; none for a balance
    # change, which can fall as far as it rises): a period's mean outside is refused.
    least: float | None = Field(default=None, allow_inf_nan=False)
    most: float | None = Field(default=None, allow_inf_nan=False)
    target: TargetSpec | None = None  # a service level the pilot arm should reach

    _plain_numbers = field_validator("minimum_effect", "margin", "baseline", "least", "most",
                                     mode="before")(plain_number)

    @model_validator(mode="after")
    def _bounds_fit(self) -> MetricSpec:
        if (self.least, self.most) == (None, None):
            return self
        if self.kind is not Kind.mean:
            raise ValueError(f"least and most apply to mean metrics only: a {self.kind} has "
                             "its own bounds")
        for name in ("least", "most"):
            value = getattr(self, name)
            if value is not None and abs(value) > LARGEST_VALUE:
                raise ValueError(f"{name} = {value:g} lies beyond what a mean may be "
                                 f"(±{LARGEST_VALUE:.0e})")
        if self.least is not None and self.most is not None and self.least >= self.most:
            raise ValueError(f"least ({self.least:g}) must be below most ({self.most:g})")
        if self.baseline is not None and not ((self.least is None or self.least
                                               <= self.baseline) and
                                              (self.most is None or self.baseline <= self.most)):
            raise ValueError(f"baseline = {self.baseline:g} lies outside the metric's bounds")
        return self

    @model_validator(mode="after")
    def _role_needs(self) -> MetricSpec:
        if self.role is Role.primary and self.minimum_effect is None:
            raise ValueError("a primary metric needs a minimum_effect "
                             "(the smallest effect worth scaling up)")
        if self.role is Role.guardrail and self.margin is None:
            raise ValueError("a guardrail metric needs a margin (the harm tolerated)")
        if self.role is not Role.primary and self.minimum_effect is not None:
            raise ValueError("only the primary metric takes a minimum_effect")
        if self.role is not Role.guardrail and self.margin is not None:
            raise ValueError("only a guardrail metric takes a margin")
        return self

    @model_validator(mode="after")
    def _possible_for_kind(self) -> MetricSpec:
        # A value in the wrong unit (5 for 5 points) would pass every later check and
        # decide on nonsense: a +10-point pilot read as withdraw at week 1.
        if self.kind is Kind.proportion:
            for name in ("minimum_effect", "margin"):
                value = getattr(self, name)
                if value is not None and value >= 1:
                    raise ValueError(f"{name} = {value:g} is impossible for a proportion, "
                                     "whose differences lie below 1 (shares are written "
                                     f"as fractions){did_you_mean(value)}")
            if self.baseline is not None and not 0 < self.baseline < 1:
                raise ValueError(f"baseline = {self.baseline:g} is impossible for a "
                                 "proportion, which lies between 0 and 1"
                                 f"{did_you_mean(self.baseline)}")
        if self.kind is Kind.rate and self.baseline is not None and self.baseline <= 0:
            raise ValueError(f"baseline = {self.baseline:g} is impossible for a rate, which "
                             "is more than 0 (events per unit of exposure)")
        if self.kind is not Kind.mean and self.baseline is not None and self.minimum_effect:
            moved = self.baseline + (self.minimum_effect if self.direction is
                                     Direction.increase else -self.minimum_effect)
            top = 1 if self.kind is Kind.proportion else math.inf
            if not 0 < moved < top:
                raise ValueError(f"baseline {self.baseline:g} moved by minimum_effect "
                                 f"{self.minimum_effect:g} ({self.direction}) gives "
                                 f"{moved:g}, impossible for a {self.kind}")
        return self

    _target_fits = model_validator(mode="after")(target_fits)  # after the bounds' checks

    @property
    def name(self) -> str:
        """The label people read, falling back to the key."""
        return self.label or self.key


class PilotSpec(Strict):
    key: Key
    title: Text
    channel: Key | None = None
    segment: Key | None = None
    design: Design
    analysis: Analysis = Analysis.sequential
    allocation: float = Field(default=0.5, gt=0, lt=1, allow_inf_nan=False)
    alpha: float = Field(default=0.05, gt=0, lt=0.5, allow_inf_nan=False)
    power: float = Field(default=0.8, gt=0.5, lt=1, allow_inf_nan=False)
    planned_sample: int | None = Field(default=None, gt=0)
    planned_periods: int | None = Field(default=None, gt=0)
    # Diff-in-diff and baseline only: the before-periods to be logged (for the planner),
    # and the AR(1) correlation of the period-to-period noise the analysis assumes.
    before_periods: int | None = Field(default=None, gt=0)
    serial_correlation: float | None = Field(default=None, ge=0, lt=1, allow_inf_nan=False)
    # Comparison-scopes only: the 2–20 channels (or segments, for a pilot scoped by
    # segment alone) running as usual; the CSV names each control row's scope.
    comparison_scopes: list[Key] | None = None
    start: date
    end: date
    budget: float = Field(default=0, ge=0, allow_inf_nan=False)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    team: list[TeamMemberSpec] = Field(default_factory=list)
    parent: Key | None = None

    _plain_numbers = field_validator(
        "allocation", "alpha", "power", "planned_sample", "planned_periods", "before_periods",
        "serial_correlation", "budget", mode="before")(plain_number)

    @field_validator("channel", "segment", mode="before")
    @classmethod
    def _one_scope_only(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            raise ValueError("a pilot is scoped to exactly one channel or segment, "
                             "never a list")
        return value

    @model_validator(mode="after")
    def _scope_and_dates(self) -> PilotSpec:
        if self.channel is None and self.segment is None:
            raise ValueError("a pilot needs a channel, a segment, or both (one of each)")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.design is Design.holdout and (self.before_periods or self.serial_correlation
                                              is not None):
            raise ValueError("before_periods and serial_correlation apply to diff-in-diff "
                             "and baseline designs and to comparison scopes, never to a "
                             "holdout")
        self._check_comparisons()
        return self

    def _check_comparisons(self) -> None:
        """A comparison-scopes pilot names 2–20 distinct scopes, never its own."""
        found = self.comparison_scopes
        if self.design is not Design.comparison_scopes:
            if found is not None:
                raise ValueError("comparison_scopes apply to the comparison-scopes design only")
            return
        if not found or not MINIMUM_COMPARISONS <= len(found) <= MAXIMUM_COMPARISONS:
            raise ValueError(f"a comparison-scopes pilot needs {MINIMUM_COMPARISONS}–"
                             f"{MAXIMUM_COMPARISONS} comparison_scopes, got "
                             f"{len(found or [])}")
        repeated = sorted({scope for scope in found if found.count(scope) > 1})
        if repeated:
            raise ValueError(f"comparison_scopes repeat {', '.join(repeated)}")
        own = self.channel or self.segment
        if own in found:
            raise ValueError(f"comparison_scopes cannot include the pilot's own scope '{own}'")

    @property
    def scope(self) -> str:
        """Describe the scope as people say it: 'x', 'retail', or 'x within retail'."""
        if self.channel and self.segment:
            return f"{self.channel} within {self.segment}"
        return self.channel or self.segment or ""

    @property
    def weeks(self) -> int:
        """Count the weekly periods between start and end, both included."""
        return max(1, math.ceil(((self.end - self.start).days + 1) / 7))


class Preregistration(StandbyPlan):
    """One pilot's plan: the hypothesis it tests, the pilot, its metrics (and stand-by)."""

    hypothesis: HypothesisSpec
    pilot: PilotSpec
    metrics: list[MetricSpec] = Field(min_length=1)

    @field_validator("metrics")
    @classmethod
    def _metrics_fit(cls, metrics: list[MetricSpec]) -> list[MetricSpec]:
        primaries = [m.key for m in metrics if m.role is Role.primary]
        if len(primaries) != 1:
            found = ", ".join(primaries) if primaries else "none"
            raise ValueError(f"a pilot needs exactly one primary metric (found {found})")
        keys = [m.key for m in metrics]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"metric keys must be unique: {', '.join(duplicated)} repeated")
        return metrics

    @property
    def primary(self) -> MetricSpec:
        """Return the one primary metric."""
        return next(m for m in self.metrics if m.role is Role.primary)

    @property
    def guardrails(self) -> list[MetricSpec]:
        """Return the guardrail metrics in file order."""
        return [m for m in self.metrics if m.role is Role.guardrail]

    def metric(self, key: str) -> MetricSpec:
        """Return the metric with this key, or raise KeyError."""
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(key)


class PreregistrationError(Invalid):
    """A plan that cannot be accepted; `problems` lists (where, what) pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        super().__init__("\n".join(": ".join(part for part in (source, where, what) if part)
                                   for where, what in problems), problems)


def parse(data: Any, source: str = "pre-registration") -> Preregistration:
    """Validate a plan given as a dict; raise PreregistrationError naming each problem."""
    if isinstance(data, Preregistration):
        return data
    try:
        return Preregistration.model_validate(data)
    except ValidationError as error:
        raise PreregistrationError(source, describe_errors(error, data)) from None


def load(path: str | Path) -> Preregistration:
    """Read and validate one pre-registration TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PreregistrationError(str(path), [("", f"not valid TOML: {error}")]) from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise PreregistrationError(str(path), [("", "nested too deeply to be a plan")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PreregistrationError(str(path), [("", f"cannot be read: {error}")]) from None
    return parse(data, str(path))
