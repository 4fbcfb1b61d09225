"""The API's models for the backlog: its query, its entries and its calibration."""

from __future__ import annotations

from pydantic import Field

from lab import vocabulary
from lab.portfolio.backlog import BAND_NAMES, STATES
from lab.web.schemas import Reply, Request, Timestamp, literal_of


class BacklogQuery(Request):
    process: literal_of(vocabulary.Process) | None = None
    function: literal_of(vocabulary.Function) | None = None
    state: literal_of(STATES) | None = None
    band: literal_of(BAND_NAMES) | None = None
    owner: str | None = Field(default=None, max_length=254)


class BacklogEntryOut(Reply):
    hypothesis: str
    statement: str
    process: str
    expected_benefit: str
    owner: str
    function: str | None
    expected_value: float | None
    expected_unit: str
    impact: int | None
    fit: int | None
    effort: int | None
    confidence: int | None
    priority: float | None = Field(description="0-100, weighted by LAB_BACKLOG_WEIGHTS; "
                                               "null until every weighted score is set")
    band: str
    state: str
    pilots: list[str]
    decisions: list[str]
    updated_at: Timestamp | None


class BandOut(Reply):
    band: str
    hypotheses: int
    decided: int
    scale_up: int
    revise: int
    withdraw: int
    win_rate: float | None


class BacklogOut(Reply):
    weights: dict[str, float]
    entries: list[BacklogEntryOut]
    calibration: list[BandOut]
