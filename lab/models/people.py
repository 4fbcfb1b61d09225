"""Accounts, their roles and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from lab.models.base import one_of, timestamp
from lab.vocabulary import UserRole


class User(SQLModel, table=True):
    __tablename__ = "lab_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (one_of("role", UserRole, "ck_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(default="", max_length=120)
    role: str = Field(default="viewer", max_length=20)
    password_hash: str = Field(max_length=300)
    active: bool = True
    # Bumped on logout-everywhere, password change, disable and role change: a session
    # carrying an older number is no longer valid.
    session_version: int = 1
    created_at: datetime = timestamp()


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="lab_user.id", index=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(unique=True, max_length=128)  # sha256 hex of the secret
    created_at: datetime = timestamp()
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LoginAttempt(SQLModel, table=True):
    """A failed login, kept so throttling holds across processes and restarts."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64)
    at: datetime = timestamp(index=True)
