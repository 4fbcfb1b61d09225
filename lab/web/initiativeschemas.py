"""The API's models for initiatives elsewhere and the coverage map."""

from __future__ import annotations

from datetime import date

from lab.web.schemas import Reply


class InitiativeOut(Reply):
    key: str
    name: str
    function: str
    channel: str | None
    segment: str | None
    process: str
    start_date: date
    end_date: date | None
    status: str
    measures: str
    contact: str
    adopted_as: str | None


class ClashOut(Reply):
    initiative: str
    pilot: str
    scope: str
    start: date
    end: date
    message: str


class CellOut(Reply):
    process: str
    channel: str
    pilots: list[str]
    initiatives: list[str]


class InitiativeList(Reply):
    initiatives: list[InitiativeOut]
    clashes: list[ClashOut]
    coverage: list[CellOut]


class AdoptedOut(Reply):
    initiative: str
    hypothesis: str
