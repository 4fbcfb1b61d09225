"""Mappings: how one raw export (a row per ticket, mention or answer) becomes observations.

A mapping is a TOML file a team writes once per export shape: which column holds the
time (and its format, time zone and the day weeks start), which the pilot, the arm and
the phase, and how each of the pilot's metrics is computed from the rows of one period
and arm: the share of rows meeting a condition, the mean of a value, or a count of
events per unit of exposure. It is validated here, whole, before any row is read, so a
typo in it is named by key, not discovered a million rows in. experiments/mappings/
holds examples; raw.py reads the rows.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lab.errors import Invalid
from lab.pilots.validation import describe_errors
from lab.vocabulary import Arm, Kind, Phase

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# What a blank cell means for a metric: refuse the row (the default: no silent choice),
# leave the row out of the metric, or count it as not meeting the condition.
Blank = Literal["refuse", "skip", "fail"]


class MappingError(Invalid):
    """A mapping that cannot be used; the message names the file and the key."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        super().__init__("\n".join(": ".join(part for part in (source, where, what) if part)
                                   for where, what in problems), problems)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Time(_Strict):
    """Which column holds each row's time, how to read it, and which period it falls in."""

    column: str = Field(min_length=1)
    format: str = "iso"  # ISO 8601, or a strptime pattern such as "%d/%m/%Y %H:%M"
    timezone: str = "UTC"  # the zone of times without an offset, and of the periods
    period: Literal["day", "week", "month"] = "week"
    week_start: Literal[WEEKDAYS] = "monday"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _known_zone(self) -> Time:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone '{self.timezone}' is not an IANA time zone name "
                             "such as Europe/Amsterdam or UTC") from None
        return self


class Choice(_Strict):
    """A column whose cells name the pilot, arm or phase, translated by `values`.

    `others` says what a cell missing from `values` does: refuse the row, or skip it
    (an export often holds queues or campaigns outside the pilot). With no `values`,
    cells are taken as they are.
    """

    column: str = Field(min_length=1)
    values: dict[str, str] | None = None
    others: Literal["refuse", "skip"] = "refuse"


class PhaseByDate(_Strict):
    """Periods starting before `before` are the before phase, the others during."""

    before: date


class Value(_Strict):
    """A value read from each row: a column's cell, or the minutes between two times."""

    column: str | None = None
    minutes: tuple[str, str] | None = None  # [from column, to column], read as Time says

    @model_validator(mode="after")
    def _one_source(self) -> Value:
        if (self.column is None) == (self.minutes is None):
            raise ValueError("give exactly one of column or minutes")
        return self

    def columns(self) -> list[str]:
        """Return the columns this value reads."""
        return [self.column] if self.column is not None else list(self.minutes or ())


class Condition(Value):
    """A test of a row's value: equal to one of some texts, or within numeric bounds."""

    equals: str | None = None
    among: list[str] | None = Field(None, alias="in")
    at_least: float | None = None
    at_most: float | None = None
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        texts = [self.equals is not None, self.among is not None]
        numbers = [bound is not None for bound in (self.at_least, self.at_most, self.above,
                                                    self.below)]
        if sum(texts) + any(numbers) != 1:
            raise ValueError("give one test: equals, in, or numeric bounds (at_least, "
                             "at_most, above, below)")
        if self.minutes is not None and any(texts):
            raise ValueError("minutes are compared with numeric bounds, not equals or in")
        return self

    def numeric(self) -> bool:
        """Tell whether the test compares numbers (else texts)."""
        return self.equals is None and self.among is None


class Exposure(_Strict):
    """A rate's exposure per period and arm: a column's sum, or the count of rows; / per."""

    sum: str | None = None
    rows: bool = False
    per: float = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _one_source(self) -> Exposure:
        if (self.sum is None) == (not self.rows):
            raise ValueError("give exactly one of sum = COLUMN or rows = true")
        return self


class MetricRule(_Strict):
    """How one of the pilot's metrics is computed from the rows of a period and arm."""

    metric: str = Field(min_length=1)
    share: Condition | None = None  # proportion: rows meeting it / rows counted
    mean: Value | None = None  # mean: n, mean and sd of the value
    count: Condition | None = None  # rate: events are rows meeting it...
    every_row: bool = False  # ...or every row counted
    exposure: Exposure | None = None  # ...per this exposure
    where: Condition | None = None  # only rows meeting this count for the metric
    blank: Blank = "refuse"

    @model_validator(mode="after")
    def _one_kind(self) -> MetricRule:
        kinds = [self.share is not None, self.mean is not None,
                 self.count is not None or self.every_row]
        if sum(kinds) != 1:
            raise ValueError("give one of share, mean, or count (or every_row) with exposure")
        if kinds[2] != (self.exposure is not None):
            raise ValueError("a count needs an exposure, and only a count has one")
        if self.count is not None and self.every_row:
            raise ValueError("give count or every_row, not both")
        if self.blank == "fail" and self.share is None and self.count is None:
            raise ValueError("blank = \"fail\" means a row fails a condition: only share "
                             "and count have one")
        return self

    @property
    def kind(self) -> Kind:
        """Return the metric kind this rule computes."""
        if self.share is not None:
            return Kind.proportion
        return Kind.mean if self.mean is not None else Kind.rate

    def columns(self) -> list[str]:
        """Return every column the rule reads."""
        parts = [self.share, self.mean, self.count, self.where]
        found = [column for part in parts if part is not None for column in part.columns()]
        if self.exposure is not None and self.exposure.sum is not None:
            found.append(self.exposure.sum)
        return found


class Mapping(_Strict):
    """A whole mapping file, validated."""

    time: Time
    pilot: str | Choice
    arm: Annotated[str, Field(pattern="^(pilot|control)$")] | Choice
    phase: Annotated[str, Field(pattern="^(before|during)$")] | Choice | PhaseByDate = \
        str(Phase.during)
    delimiter: str = Field(",", min_length=1, max_length=1)
    metrics: list[MetricRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _sound(self) -> Mapping:
        keys = [rule.metric for rule in self.metrics]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(f"metric {', '.join(twice)} is mapped twice")
        for name, choice, allowed in (("arm", self.arm, Arm), ("phase", self.phase, Phase)):
            if isinstance(choice, Choice) and choice.values:
                wrong = sorted(set(choice.values.values()) - {str(item) for item in allowed})
                if wrong:
                    raise ValueError(f"{name}.values must map to {' or '.join(allowed)}, "
                                     f"not {', '.join(wrong)}")
        return self

    def columns(self) -> list[str]:
        """Return every column of the export the mapping reads, each once, in order."""
        found = [self.time.column]
        found += [part.column for part in (self.pilot, self.arm, self.phase)
                  if isinstance(part, Choice)]
        found += [column for rule in self.metrics for column in rule.columns()]
        return list(dict.fromkeys(found))


class LoadedMapping:
    """A mapping with where it came from and the hash of its text (kept in the audit)."""

    def __init__(self, mapping: Mapping, name: str, text: str):
        self.mapping, self.name = mapping, name
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse(text: str, name: str = "mapping") -> LoadedMapping:
    """Validate a mapping given as TOML text; raise MappingError naming each problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(name, [("", f"not valid TOML: {error}")]) from None
    except RecursionError:
        raise MappingError(name, [("", "nested too deeply to be a mapping")]) from None
    try:
        return LoadedMapping(Mapping.model_validate(data), name, text)
    except ValidationError as error:
        raise MappingError(name, _unique(describe_errors(error, data))) from None


def load(path: str | Path) -> LoadedMapping:
    """Read and validate a mapping file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(str(path), [("", f"cannot be read: {error}")]) from None
    return parse(text, str(path))


def _unique(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop repeats: a union type reports one problem per alternative it tried."""
    schema = "unknown key (not part of the pre-registration schema)"
    return list(dict.fromkeys((where, "unknown key (not part of the mapping schema)"
                               if what == schema else what) for where, what in problems))
