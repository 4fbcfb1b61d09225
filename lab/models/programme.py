"""The laboratory as a programme: what happens to a plan before its pilot starts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint, event
from sqlmodel import Field, SQLModel

from lab.models.base import timestamp
from lab.models.governance import _refuse_change


class PlanApproval(SQLModel, table=True):
    """A manager's approval of one exact version of a draft's plan (four eyes).

    The hash names the plan as it will be locked at the start, so a plan edited after its
    approval is no longer approved: it needs a new row. Rows are history: never changed.
    """

    __tablename__ = "plan_approval"
    __table_args__ = (UniqueConstraint("pilot_id", "plan_hash",
                                       name="uq_plan_approval_pilot_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    plan_hash: str = Field(max_length=64)  # sha256 hex of the plan's canonical JSON
    approved_by: str = Field(max_length=254)
    note: str = ""
    approved_at: datetime = timestamp()


event.listen(PlanApproval, "before_update", _refuse_change)
event.listen(PlanApproval, "before_delete", _refuse_change)
