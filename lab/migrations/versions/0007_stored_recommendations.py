"""Stored recommendations: each pilot's answer kept, refreshed by the writes that change it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the stored_recommendation table (filled by the first read or `lab refresh`)."""
    op.create_table('stored_recommendation',
    sa.Column('pilot_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('inputs', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_stored_recommendation_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pilot_id', name=op.f('pk_stored_recommendation'))
    )


def downgrade() -> None:
    """Drop the stored_recommendation table."""
    op.drop_table('stored_recommendation')
