"""Comparison scopes: the design, and the scope each control row of it belongs to.

The observation's natural key gains ``scope`` ("" for every row but a comparison-scopes
pilot's control rows), and the pilot's design may be "comparison-scopes".

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["pilot_id", "metric_id", "arm", "phase", "period"]
DESIGNS = ("holdout", "diff-in-diff", "baseline")


def _designs(names) -> str:
    return "design IN (" + ", ".join(f"'{name}'" for name in names) + ")"


def upgrade() -> None:
    """Add observation.scope to the natural key; allow the comparison-scopes design."""
    op.drop_index("uq_observation_key", table_name="observation")
    with op.batch_alter_table("observation") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=80), nullable=False,
                                   server_default=""))
    op.create_index("uq_observation_key", "observation", [*KEY, "scope"], unique=True)
    with op.batch_alter_table("pilot") as batch:
        batch.drop_constraint("ck_pilot_design", type_="check")
        batch.create_check_constraint("ck_pilot_design",
                                      _designs((*DESIGNS, "comparison-scopes")))


def downgrade() -> None:
    """Drop the scope, and the comparison scopes' rows with it (the old key cannot hold them).

    The pilot's design check stays wide: comparison-scopes pilots may exist (a decision
    on one cannot be deleted), and the code of 0004 reads them as any other plan.
    """
    op.execute("DELETE FROM observation WHERE scope <> ''")
    op.drop_index("uq_observation_key", table_name="observation")
    with op.batch_alter_table("observation") as batch:
        batch.drop_column("scope")
    op.create_index("uq_observation_key", "observation", KEY, unique=True)
