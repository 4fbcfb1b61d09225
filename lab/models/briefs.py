"""The decision brief a manager signed: the one-page PDF, kept with the decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from lab.models.base import timestamp


class DecisionBrief(SQLModel, table=True):
    """The brief as it was when the decision was signed; never edited or deleted.

    The PDF itself is kept, not re-rendered later from the decision's recommendation:
    the brief also shows spend, notes, overlaps and charts, which change after the
    decision (an overlap vanishes once one pilot is decided), and the record must say
    what the manager saw.
    """

    __tablename__ = "decision_brief"

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", unique=True)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    made_at: datetime = timestamp()
