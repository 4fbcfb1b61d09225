"""The API's request and response models; the OpenAPI document is generated from them.

Requests forbid unknown fields, like the pre-registration: a misspelt field is refused,
never silently dropped. The web forms validate through the same request models.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from lab import vocabulary
from lab.accounts import TOKEN_DAYS, TOKEN_DAYS_DEFAULT
from lab.kinds import COLUMNS_BY_NAME, plain_number
from lab.models.base import aware
from lab.vocabulary import TokenScope, values

Line = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=r"\S")]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def literal_of(allowed: Any) -> Any:
    """Return the type of a text field that takes one of a vocabulary's values."""
    return Literal[tuple(map(str, allowed))]


def value_of(name: str) -> Any:
    """Return the type of an observation's value column, bounded as its kind declares."""
    column = COLUMNS_BY_NAME[name]
    bounds = Field(ge=column.least, gt=column.above, le=column.most)
    if column.whole:
        return Annotated[int, bounds, BeforeValidator(plain_number)]
    return Annotated[float, bounds, AfterValidator(_finite), BeforeValidator(plain_number)]


Amount = Annotated[float, Field(ge=0, le=1e12), AfterValidator(_finite),
                   BeforeValidator(plain_number)]
Timestamp = Annotated[datetime, AfterValidator(aware)]


class Request(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """A response body."""


class NoteIn(Request):
    kind: literal_of(vocabulary.NoteKind)
    noted_on: date
    source: Line = Field(description="who said or saw it")
    text: LongText


class SpendIn(Request):
    spent_on: date
    amount: Amount
    description: Annotated[str, StringConstraints(min_length=1, max_length=500,
                                                  pattern=r"\S")]


class DecisionIn(Request):
    outcome: literal_of(vocabulary.DECIDED)
    rationale: Annotated[str, StringConstraints(max_length=20_000)] = Field(
        default="", description="required when the outcome differs from the recommendation")


class ObservationIn(Request):
    """One aggregate row, with the CSV's columns; fill only the metric kind's values."""

    metric: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    arm: literal_of(vocabulary.Arm)
    phase: literal_of(vocabulary.Phase) = str(vocabulary.Phase.during)
    period: date
    scope: Annotated[str, StringConstraints(max_length=80)] | None = Field(
        default=None, description="a comparison-scopes pilot's control rows: the comparison "
                                  "scope; otherwise leave it out")
    successes: value_of("successes") | None = None
    trials: value_of("trials") | None = None
    n: value_of("n") | None = None
    mean: value_of("mean") | None = None
    sd: value_of("sd") | None = None
    events: value_of("events") | None = None
    exposure: value_of("exposure") | None = None


class ObservationBatch(Request):
    rows: list[ObservationIn] = Field(min_length=1, max_length=10_000)
    correct: bool = Field(default=False, description="replace values that differ (audited)")


class TokenIn(Request):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"\S")]
    scope: Literal[tuple(values(TokenScope))] = Field(  # type: ignore[valid-type]
        default=TokenScope.read.value, description="read: GET only; write: changes too")
    days: Annotated[int, BeforeValidator(plain_number)] = Field(
        default=TOKEN_DAYS_DEFAULT, ge=TOKEN_DAYS[0], le=TOKEN_DAYS[1],
        description="days until the token expires")


class PilotQuery(Request):
    status: literal_of(vocabulary.Status) | None = None
    hypothesis: str | None = None


class Problem(Reply):
    field: str = Field(description="where: a dotted path such as pilot.start, or rows.3.trials")
    reason: str


class ErrorOut(Reply):
    error: str
    status: int
    message: str
    problems: list[Problem]


class HypothesisOut(Reply):
    key: str
    statement: str
    process: str
    expected_benefit: str
    sponsors: list[str]
    owner: str
    state: Literal["open", "supported", "refuted", "mixed"]
    pilots: list[str]


class HypothesisList(Reply):
    hypotheses: list[HypothesisOut]


class PilotOut(Reply):
    key: str
    title: str
    hypothesis: str
    iteration: int
    parent: str | None
    next: str | None
    channel: str | None
    segment: str | None
    design: str
    analysis: str
    status: literal_of(vocabulary.Status)
    start: date
    end: date
    budget: float
    spend: float
    currency: str
    owner: str
    started_at: Timestamp | None
    plan: dict[str, Any]
    attainment: literal_of(vocabulary.Attainment) | None = Field(
        default=None, description="where the service-level targets stand in the pilot arm "
                                  "(misses if one is missed); null: no target, or a draft")


class PilotList(Reply):
    pilots: list[PilotOut]


class RegistrationOut(Reply):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    new_channels: list[str]
    new_segments: list[str]
    warnings: list[str]


class ObservationOut(Reply):
    metric: str
    arm: str
    phase: str
    period: date
    scope: str = ""  # the comparison scope of a comparison-scopes control row
    successes: int | None
    trials: int | None
    n: int | None
    mean: float | None
    sd: float | None
    events: int | None
    exposure: float | None


class ObservationList(Reply):
    pilot: str
    observations: list[ObservationOut]


class ImportOut(Reply):
    rows: int
    inserted: int
    unchanged: int
    corrected: int


class DecisionOut(Reply):
    pilot: str
    outcome: str
    recommended: str
    rationale: str
    decided_by: str
    decided_at: Timestamp
    next: str | None = Field(default=None, description="the draft a revise decision created")


class DecisionList(Reply):
    decisions: list[DecisionOut]


class NoteOut(Reply):
    id: int
    kind: str
    noted_on: date
    source: str
    text: str
    recorded_by: str
    created_at: Timestamp
    stance: literal_of(vocabulary.Stance) | None = Field(
        default=None, description="supports or contradicts the hypothesis, as a member "
                                  "marked it (POST /notes/ID/stance); null: not marked")


class NoteList(Reply):
    notes: list[NoteOut]


class SpendOut(Reply):
    id: int
    spent_on: date
    amount: float
    description: str
    recorded_by: str
    created_at: Timestamp


class SpendList(Reply):
    total: float
    budget: float
    currency: str
    spend: list[SpendOut]


class TokenOut(Reply):
    id: int
    name: str
    scope: str
    created_at: Timestamp
    expires_at: Timestamp
    last_used_at: Timestamp | None


class TokenCreated(TokenOut):
    secret: str = Field(description="shown once; store it now, it cannot be read again")


class TokenList(Reply):
    tokens: list[TokenOut]
