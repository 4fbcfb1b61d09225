"""A rate's period may have zero exposure (then zero events): it adds nothing.

A week with no exposure (a channel switched off, a holiday) could not be logged, so
teams left a gap or made up a tiny exposure. The CHECK on exposure now allows 0; the
import keeps events at 0 when exposure is 0 (lab/kinds.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Let exposure be 0."""
    with op.batch_alter_table("observation") as batch:
        batch.drop_constraint("ck_observation_exposure", type_="check")
        batch.create_check_constraint("ck_observation_exposure",
                                      "exposure IS NULL OR exposure >= 0")


def downgrade() -> None:
    """Require exposure above 0 again (fails while a row has exposure 0)."""
    with op.batch_alter_table("observation") as batch:
        batch.drop_constraint("ck_observation_exposure", type_="check")
        batch.create_check_constraint("ck_observation_exposure",
                                      "exposure IS NULL OR exposure > 0")
