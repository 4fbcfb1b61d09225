"""Notices: what `lab notify` told people, and who chose to be told what.

A notice is kept once per event (its `key` is unique), which is what makes a scheduled
run idempotent: an outcome change, an overdue decision or a plan version awaiting
approval is sent exactly once, however often the job runs. Its delivery columns are
what an admin reads when a webhook fails; `claimed_until` is the lease of the run
sending it now (lab.notify.delivery).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from lab.models.base import one_of, timestamp
from lab.vocabulary import NoticeKind


class Notice(SQLModel, table=True):
    __table_args__ = (one_of("kind", NoticeKind, "ck_notice_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)  # e.g. outcome_changed:x-care-1h:3
    kind: str = Field(max_length=40)
    pilot: str = Field(max_length=80, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # A first sight is recorded, not sent: an outcome "changes" only from a known one.
    silent: bool = False
    created_at: datetime = timestamp()
    emails_sent: int = 0
    email_error: str | None = Field(default=None, max_length=500)
    webhook_attempts: int = 0
    webhook_delivered_at: datetime | None = Field(default=None,
                                                  sa_type=DateTime(timezone=True))
    webhook_error: str | None = Field(default=None, max_length=500)
    # The lease of the `lab notify send` delivering it now: another sender skips it.
    claimed_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NoticeSubscription(SQLModel, table=True):
    __tablename__ = "notice_subscription"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notice_subscription_user"),
                      one_of("kind", NoticeKind, "ck_notice_subscription_kind"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="lab_user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)
