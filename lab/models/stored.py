"""Each pilot's recommendation as last computed, kept so that reads never recompute it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Integer, Text
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
    # The document without its look histories: what the portfolio's rows read (a fifth
    # of the size, so a thousand pilots decode in milliseconds).
    summary: str = Field(sa_column=Column(Text, nullable=False))
    inputs: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = timestamp()
    # Last: SQLite keeps a row's columns in order, spilling a long row into a chain of
    # overflow pages, so a column after this one is reached only by reading through
    # the whole document (ten thousand summaries read 180 MB instead of 20).
    document: str = Field(sa_column=Column(Text, nullable=False))


class LabVersion(SQLModel, table=True):
    """One row: a number one up with every committed write that changes the portfolio.

    The write adds one in its own transaction (lab.pilots.version), so a reader's
    snapshot holds the number of exactly the data it sees: two reads that find the same
    ``epoch`` and ``number`` read the same portfolio, on any host. ``epoch`` is drawn
    afresh whenever the row is created, so a database emptied and refilled never
    repeats an earlier (epoch, number) with other data.
    """

    __tablename__ = "lab_version"
    __table_args__ = (CheckConstraint("id = 1", name="ck_lab_version_one_row"),)

    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True,
                                                 autoincrement=False))
    epoch: str = Field(max_length=32)
    number: int = Field(sa_column=Column(BigInteger, nullable=False))
