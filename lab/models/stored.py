"""Each pilot's recommendation as last computed, kept so that reads never recompute it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, Text
from sqlmodel import Field, SQLModel

from lab.models.base import timestamp


class StoredRecommendation(SQLModel, table=True):
    """A pilot's `Recommendation.to_dict()` (with its look-by-look history), as JSON text.

    Written in the same transaction as every write that changes the pilot's inputs
    (lab.portfolio.stored), so a reader sees the answer of exactly the data it sees.
    ``inputs`` is `lab.pilots.reads.data_version` of the pilot at that moment: what the
    answer was computed from, for the tests and for finding what drifted. The document is
    text, not JSON, so reading a thousand of them costs one json.loads each and nothing
    else (the driver's JSON type would decode them one by one in Python as well).
    """

    __tablename__ = "stored_recommendation"

    pilot_id: int = Field(sa_column=Column(
        Integer, ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False))
    outcome: str = Field(max_length=20)
    document: str = Field(sa_column=Column(Text, nullable=False))
    # The document without its look histories: what the portfolio's rows read (a fifth
    # of the size, so a thousand pilots decode in milliseconds).
    summary: str = Field(sa_column=Column(Text, nullable=False))
    inputs: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = timestamp()
