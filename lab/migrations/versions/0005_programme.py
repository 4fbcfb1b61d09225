"""The programme: plan approvals (four eyes before a pilot starts) and the backlog.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the plan_approval and backlog_entry tables."""
    op.create_table('plan_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('plan_hash', sa.String(length=64), nullable=False),
    sa.Column('approved_by', sa.String(length=254), nullable=False),
    sa.Column('note', sa.String(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_plan_approval_pilot_id_pilot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_approval')),
    sa.UniqueConstraint('pilot_id', 'plan_hash', name='uq_plan_approval_pilot_hash')
    )
    op.create_index(op.f('ix_plan_approval_pilot_id'), 'plan_approval', ['pilot_id'], unique=False)
    scores = [sa.CheckConstraint(f"{name} IS NULL OR ({name} >= 1 AND {name} <= 5)",
                                 name=f"ck_backlog_entry_{name}")
              for name in ("impact", "fit", "effort", "confidence")]
    op.create_table('backlog_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hypothesis_id', sa.Integer(), nullable=False),
    sa.Column('function', sa.String(length=40), nullable=False),
    sa.Column('expected_value', sa.Float(), nullable=True),
    sa.Column('expected_unit', sa.String(length=60), nullable=False),
    sa.Column('impact', sa.Integer(), nullable=True),
    sa.Column('fit', sa.Integer(), nullable=True),
    sa.Column('effort', sa.Integer(), nullable=True),
    sa.Column('confidence', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("function IN ('marketing', 'sales', 'service', 'it', 'compliance', 'product', 'analytics', 'management')", name='ck_backlog_entry_function'),
    *scores,
    sa.ForeignKeyConstraint(['hypothesis_id'], ['hypothesis.id'], name=op.f('fk_backlog_entry_hypothesis_id_hypothesis')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backlog_entry')),
    sa.UniqueConstraint('hypothesis_id', name=op.f('uq_backlog_entry_hypothesis_id'))
    )


def downgrade() -> None:
    """Drop the plan_approval and backlog_entry tables."""
    op.drop_table('backlog_entry')
    op.drop_index(op.f('ix_plan_approval_pilot_id'), table_name='plan_approval')
    op.drop_table('plan_approval')
