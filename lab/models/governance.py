"""Decisions management signed off, and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, event
from sqlmodel import Field, SQLModel

from lab.models.base import one_of, timestamp
from lab.vocabulary import TERMINAL, Outcome


class Decision(SQLModel, table=True):
    """A signed-off outcome; never edited or deleted. One per pilot iteration."""

    __table_args__ = (
        one_of("outcome", TERMINAL, "ck_decision_outcome"),
        one_of("recommended", Outcome, "ck_decision_recommended"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Unique: when two managers sign off at once, the database lets exactly one in.
    pilot_id: int = Field(foreign_key="pilot.id", unique=True)
    outcome: str = Field(max_length=20)
    recommended: str = Field(max_length=20)
    recommendation: dict[str, Any] = Field(default_factory=dict,
                                           sa_column=Column(JSON, nullable=False))
    rationale: str = ""
    decided_by: str = Field(max_length=254)
    decided_at: datetime = timestamp()


class AuditEvent(SQLModel, table=True):
    """Who did what to which object, when, with the values before and after."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(index=True)
    actor: str = Field(max_length=254)
    action: str = Field(max_length=60, index=True)
    object_type: str = Field(max_length=40)
    object_key: str = Field(max_length=200, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit event or a decision."""


def _refuse_change(_mapper, _connection, target) -> None:
    raise AppendOnlyError(f"{type(target).__name__} rows are never changed or deleted")


# The log and the signed-off decisions are history: the ORM refuses to rewrite them.
for _model in (AuditEvent, Decision):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
