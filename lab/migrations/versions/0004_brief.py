"""The decision brief: the one-page PDF a manager signed, kept with the decision.

Append-only like the decision itself: the database refuses to change or delete a brief.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the decision_brief table and its append-only triggers."""
    op.create_table('decision_brief',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_decision_brief_decision_id_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_brief')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_decision_brief_decision_id'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER decision_brief_append_only BEFORE UPDATE OR DELETE ON "
                   "decision_brief FOR EACH ROW EXECUTE FUNCTION lab_refuse_change()")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER decision_brief_no_{event.lower()} BEFORE {event} ON "
                   "decision_brief BEGIN SELECT RAISE(ABORT, 'decision_brief rows are never "
                   "changed or deleted'); END")


def downgrade() -> None:
    """Drop the decision_brief table (its triggers go with it)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decision_brief_append_only ON decision_brief")
    op.drop_table('decision_brief')
