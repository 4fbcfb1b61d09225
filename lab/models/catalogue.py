"""Channels and segments: the catalogues a pilot's scope is drawn from."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from lab.models.base import timestamp


class Channel(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    created_at: datetime = timestamp()


class Segment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    created_at: datetime = timestamp()
