"""Accounts, their roles and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from lab.models.base import one_of, timestamp
from lab.vocabulary import TokenScope, UserRole, values


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
    __table_args__ = (one_of("scope", values(TokenScope), "ck_api_token_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="lab_user.id", index=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(unique=True, max_length=128)  # sha256 hex of the secret
    scope: str = Field(default=TokenScope.read, max_length=10)
    created_at: datetime = timestamp()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LoginThrottle(SQLModel, table=True):
    """Sign-in attempts counted under one key (an account, an address, a browser).

    One row per key, counted up in a single statement, so that simultaneous guesses
    cannot all read the same count; the count starts again when its window has passed.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=300)
    attempts: int = 0
    since: datetime = timestamp(index=True)  # when the current window began
