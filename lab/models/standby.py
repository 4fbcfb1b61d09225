"""Stand-by rules that fired: which rule, at which look, reading what. Append-only."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint, event
from sqlmodel import Field, SQLModel

from lab.models.base import one_of, timestamp
from lab.models.governance import _refuse_change
from lab.vocabulary import StandbyAction, StandbyBound


class StandbyFiring(SQLModel, table=True):
    """A pre-registered stand-by rule that held at a look of its pilot.

    A rule fires once: at the first look where it holds (the unique key refuses a
    second row, so two refreshes at once cannot both record it). History, never changed.
    """

    __tablename__ = "standby_firing"
    __table_args__ = (UniqueConstraint("pilot_id", "rule", name="uq_standby_firing_rule"),
                      one_of("action", StandbyAction, "ck_standby_firing_action"),
                      one_of("reads", StandbyBound, "ck_standby_firing_reads"))

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    rule: int  # its position in the plan's standby list, from 0 (the plan is locked)
    metric: str = Field(max_length=80)
    reads: str = Field(max_length=20)  # value, lower or upper (the rule's `when`)
    side: str = Field(max_length=5)  # above or below
    threshold: float
    value: float
    look: int  # the look number, from 1
    period: date  # the period that look runs through
    action: str = Field(max_length=20)
    fired_at: datetime = timestamp()


event.listen(StandbyFiring, "before_update", _refuse_change)
event.listen(StandbyFiring, "before_delete", _refuse_change)
