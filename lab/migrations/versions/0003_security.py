"""Security: token scopes and expiry, and sign-in throttling counted atomically.

API tokens get a scope (read or write) and an expiry. Tokens made before this revision
could do everything, so they keep the write scope and expire 90 days from the upgrade.
The login_attempt table (one row per failure, keeping whatever was typed as the email)
gives way to login_throttle: one counter per key, incremented in a single statement.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXISTING_TOKENS_LAST = timedelta(days=90)


def upgrade() -> None:
    """Add token scopes and expiry; replace login_attempt by login_throttle."""
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=10), nullable=False,
                                   server_default="write"))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.get_bind().execute(sa.text("UPDATE api_token SET expires_at = :at"),
                          {"at": datetime.now(UTC) + EXISTING_TOKENS_LAST})
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("scope", server_default=None)
        batch.alter_column("expires_at", nullable=False)
        batch.create_check_constraint("ck_api_token_scope", "scope IN ('read', 'write')")

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_since"), "login_throttle", ["since"], unique=False)
    op.drop_index(op.f("ix_login_attempt_email"), table_name="login_attempt")
    op.drop_index(op.f("ix_login_attempt_at"), table_name="login_attempt")
    op.drop_table("login_attempt")


def downgrade() -> None:
    """Bring back login_attempt (empty) and drop the token scopes and expiry."""
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index(op.f("ix_login_attempt_at"), "login_attempt", ["at"], unique=False)
    op.create_index(op.f("ix_login_attempt_email"), "login_attempt", ["email"], unique=False)
    op.drop_index(op.f("ix_login_throttle_since"), table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_constraint("ck_api_token_scope", type_="check")
        batch.drop_column("expires_at")
        batch.drop_column("scope")
