"""The API's request and reply models for approval before start (four eyes)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from lab.pilots.approval import NOTE_LENGTH
from lab.web.schemas import Reply, Request, Timestamp

Hash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ApprovalIn(Request):
    note: Annotated[str, StringConstraints(max_length=NOTE_LENGTH)] = Field(
        default="", description="why, or on what condition")
    plan_hash: Hash | None = Field(
        default=None, description="the plan version read (GET /approvals); refused with "
                                  "409 if the plan has changed since")


class ApprovalOut(Reply):
    pilot: str
    plan_hash: str
    approved_by: str
    approved_at: Timestamp
    note: str


class QueueEntry(Reply):
    pilot: str
    title: str
    owner: str
    status: Literal["approved", "stale", "awaiting"] = Field(
        description="approved as it stands; stale: an older version was approved; awaiting")
    plan_hash: str = Field(description="sha256 of the plan as it stands")
    approval: ApprovalOut | None = None
    may_approve: bool = Field(description="whether the caller may approve it now")
    refusal: str | None = Field(default=None, description="why the caller may not")


class ApprovalQueue(Reply):
    required: bool = Field(description="whether the lab requires approval (LAB_APPROVAL)")
    drafts: list[QueueEntry]
