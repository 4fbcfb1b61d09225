"""Stand-by measures and roles, set before the start, and when a measure fires.

A pre-registration may name who is responsible, accountable, consulted and informed
(`[roles]`) and what happens if a metric goes wrong (`[[standby]]`): "if complaints per
1,000 contacts rise above 12 at any look, pause the pilot and alert the owner". A rule
reads one metric at each look — the pilot arm's own level (`when = "value"`, in the
metric's unit: a share as a fraction, a mean, events per unit of exposure) or a bound
of the interval of pilot minus control (`when = "lower"` or `"upper"`, in the metric's
unit, as the metric moves, not oriented) — against a threshold (`above` or `below`,
strictly: a value equal to the threshold does not fire).

`evaluate` is pure: the stored recommendation (its last look) and the rules in, the
rules that hold out. Recording them, once each, is `lab.pilots.firings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_serializer,
    model_validator,
)

from lab.kinds import LARGEST_VALUE, plain_number
from lab.pilots.validation import Strict
from lab.vocabulary import Kind, Raci, StandbyAction, StandbyBound

OWNER = "owner"  # `notify` may name the hypothesis's owner besides the roles
Person = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
Notified = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                            pattern=rf"^({OWNER}|{'|'.join(Raci)})$")]


class StandbyRule(Strict):
    """One stand-by measure: a metric, a threshold at a look, and what to do then."""

    metric: str
    when: StandbyBound = StandbyBound.value
    above: float | None = Field(default=None, allow_inf_nan=False)
    below: float | None = Field(default=None, allow_inf_nan=False)
    from_look: int = Field(default=1, ge=1, le=10_000)
    action: StandbyAction
    notify: list[Notified] = Field(default_factory=list)

    _plain_numbers = field_validator("above", "below", "from_look", mode="before")(plain_number)

    @model_validator(mode="after")
    def _one_threshold(self) -> StandbyRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("a stand-by rule needs exactly one threshold: above or below")
        if abs(self.threshold) > LARGEST_VALUE:
            raise ValueError(f"the threshold {self.threshold:g} lies beyond any value "
                             f"(±{LARGEST_VALUE:.0e})")
        return self

    @property
    def threshold(self) -> float:
        return self.above if self.above is not None else self.below  # type: ignore[return-value]

    @property
    def side(self) -> str:
        return "above" if self.above is not None else "below"

    def holds(self, value: float) -> bool:
        """Tell whether a reading fires the rule: strictly beyond the threshold."""
        if self.above is not None:
            return value > self.above
        return value < self.threshold


def _kind_problem(rule: StandbyRule, kind: Kind) -> str | None:
    """Say why a threshold is impossible in its metric's unit, or None."""
    limit = rule.threshold
    if kind is Kind.proportion and rule.when is StandbyBound.value and not 0 <= limit <= 1:
        hint = f": did you mean {limit / 100:g}?" if 1 < limit <= 100 else ""
        return (f"{rule.side} = {limit:g} is impossible for a proportion's value, which "
                f"lies from 0 to 1 (shares are written as fractions){hint}")
    if kind is Kind.proportion and not -1 < limit < 1:
        return (f"{rule.side} = {limit:g} is impossible for a difference of proportions, "
                "which lies between -1 and 1")
    if kind is Kind.rate and rule.when is StandbyBound.value and limit < 0:
        return f"{rule.side} = {limit:g} is impossible for a rate, which is never below 0"
    return None


class StandbyPlan(Strict):
    """The pre-registration's roles and stand-by rules (`lab.pilots.plans` builds on it)."""

    roles: dict[Person, list[Raci]] | None = None
    standby: list[StandbyRule] = Field(default_factory=list, max_length=50)

    @field_validator("roles", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """Let a person hold one role ("accountable") or several (["responsible", …])."""
        if isinstance(value, dict):
            return {name: [role] if isinstance(role, str) else role
                    for name, role in value.items()}
        return value

    @field_validator("roles")
    @classmethod
    def _one_accountable(cls, roles: dict | None) -> dict | None:
        if roles is None:
            return None
        if any(not held for held in roles.values()):
            raise ValueError("every person in roles needs at least one role")
        accountable = [name for name, held in roles.items() if Raci.accountable in held]
        if len(accountable) != 1:
            found = ", ".join(accountable) if accountable else "none"
            raise ValueError(f"roles need exactly one accountable person (found {found})")
        return roles

    @model_validator(mode="after")
    def _rules_fit_metrics(self) -> StandbyPlan:
        kinds = {metric.key: metric.kind for metric in getattr(self, "metrics", [])}
        for number, rule in enumerate(self.standby, start=1):
            where = f"standby[#{number}]"
            if rule.metric not in kinds:
                raise ValueError(f"{where}.metric: no metric '{rule.metric}' in this plan "
                                 f"(it has {', '.join(kinds)})")
            problem = _kind_problem(rule, kinds[rule.metric])
            if problem:
                raise ValueError(f"{where}.{rule.side}: {problem}")
            unnamed = [role for role in rule.notify if role != OWNER and not any(
                role in held for held in (self.roles or {}).values())]
            if unnamed:
                raise ValueError(f"{where}.notify: nobody in roles is {', '.join(unnamed)}")
        return self

    @model_serializer(mode="wrap")
    def _leave_out_unused(self, handler) -> dict:
        # A plan without roles or rules dumps as it did before they existed, so its
        # stored JSON and the hash its approval names do not change.
        data = handler(self)
        if isinstance(data, dict):
            if not self.standby:
                data.pop("standby", None)
            if self.roles is None:
                data.pop("roles", None)
        return data

    def people(self, role: str) -> list[str]:
        """Return who holds a role ("owner": the hypothesis's owner), in plan order."""
        if role == OWNER:
            return [self.hypothesis.owner]  # type: ignore[attr-defined]
        return [name for name, held in (self.roles or {}).items() if role in held]


@dataclass(frozen=True)
class Firing:
    """A rule that holds at a look: which rule, at which look, reading what."""

    rule: int  # its position in the plan's standby list, from 0
    look: int  # the look number, from 1
    period: str  # ISO date of the period the look runs through
    value: float
    threshold: float


def reading(metric: Mapping | None, when: str) -> float | None:
    """Return what a rule reads of one metric at the last look, or None if it has nothing."""
    if not metric:
        return None
    if when == StandbyBound.value:
        found = metric.get("pilot_value")
    else:
        # The stored interval is oriented (positive is better); a rule speaks the metric's
        # own unit and sign, so a lower-is-better metric's interval is turned back.
        low, high = metric.get("ci_low"), metric.get("ci_high")
        if metric.get("direction") == "decrease":
            low, high = (None if high is None else -high), (None if low is None else -low)
        found = low if when == StandbyBound.lower else high
    if found is None or not math.isfinite(float(found)):
        return None
    return float(found)


def evaluate(document: Mapping, rules: Sequence[StandbyRule]) -> list[Firing]:
    """Return each rule that holds at a look, at the first look it holds (pure).

    A rule on an interval's end reads the metric's look history, so a rule that held at
    a look that came and went inside one write (an import of several weeks) still fires,
    at that look: "at any look" means any. The pilot arm's own level is stored for the
    latest look only, so a rule on the value reads that one.
    """
    looks = document.get("looks") or []
    if not looks:
        return []
    metrics = {metric["key"]: metric for metric in document.get("metrics") or []}
    histories = dict(document.get("metric_looks") or {})
    for metric in metrics.values():
        if metric.get("role") == "primary":
            histories.setdefault(metric["key"], looks)
    found = []
    for index, rule in enumerate(rules):
        for look, period, value in _readings(rule, metrics.get(rule.metric),
                                             histories.get(rule.metric), looks):
            if look >= rule.from_look and rule.holds(value):
                found.append(Firing(index, look, period, value, rule.threshold))
                break
    return found


def _readings(rule: StandbyRule, metric: Mapping | None, history: Sequence[Mapping] | None,
              looks: Sequence[Mapping]) -> list[tuple[int, str, float]]:
    """Return (look, period, what the rule reads) at each look it can read, in order."""
    if metric is None:
        return []
    if rule.when == StandbyBound.value or not history:
        value = reading(metric, rule.when)
        return [] if value is None else [(len(looks), str(looks[-1]["period"]), value)]
    direction = metric.get("direction")
    readings = []
    for look, entry in enumerate(history, start=1):
        value = reading({**entry, "direction": direction}, rule.when)
        if value is not None:
            readings.append((look, str(entry["period"]), value))
    return readings
