"""The API's model of the programme figures (lab.portfolio.figures)."""

from __future__ import annotations

from lab.web.schemas import Reply


class FigureOut(Reply):
    quarter: str
    started: int
    decided: int
    share_decided: float | None
    scaled_up: int
    win_rate: float | None
    median_weeks: float | None
    spend_scaled_up: float
    spend_revised: float
    spend_withdrawn: float
    spend_undecided: float
    extra_outcomes: float | None
    extra_low: float | None
    extra_high: float | None


class FigureList(Reply):
    quarters: list[FigureOut]
