"""The API's models for learning cards and the learnings library."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from lab import vocabulary
from lab.pilots.learnings import FEEDBACK_LENGTH
from lab.portfolio.learnings import QUERY_LENGTH
from lab.web.schemas import Reply, Request, Timestamp, literal_of


class LearningQuery(Request):
    q: str | None = Field(default=None, max_length=QUERY_LENGTH,
                          description="words that must all appear (full-text, stemmed)")
    process: literal_of(vocabulary.Process) | None = None
    channel: str | None = Field(default=None, max_length=80)
    segment: str | None = Field(default=None, max_length=80)
    outcome: literal_of(vocabulary.TERMINAL) | None = None
    tag: str | None = Field(default=None, max_length=60)


class FeedbackIn(Request):
    text: Annotated[str, StringConstraints(min_length=1, max_length=FEEDBACK_LENGTH,
                                           pattern=r"\S")]


class FeedbackOut(Reply):
    author: str
    text: str
    created_at: Timestamp


class LearningOut(Reply):
    pilot: str
    title: str
    hypothesis: str
    process: str
    channel: str | None
    segment: str | None
    outcome: str
    decided_by: str
    decided_at: Timestamp
    believed: str
    observed: str
    learned: str
    next_step: str
    tags: list[str]
    published_at: Timestamp | None
    feedback: list[FeedbackOut] = Field(default_factory=list)
    supporting: list[str] = Field(default_factory=list, description="notes marked so")
    contradicting: list[str] = Field(default_factory=list, description="notes marked so")


class StanceIn(Request):
    stance: literal_of(vocabulary.Stance) | None = Field(
        default=None, description="supports or contradicts the hypothesis; null: neither")


class StanceOut(Reply):
    note: int
    pilot: str
    stance: str | None


class LearningList(Reply):
    learnings: list[LearningOut]
