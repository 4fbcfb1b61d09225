"""The lab's version: one number, one up with every write that changes the portfolio;
on SQLite the stored recommendation's long document moves to the end of its row.

The web keeps the portfolio's rows per (epoch, number) read from this row on each
request (lab.portfolio.kept), so a cached portfolio is never served for other data,
whatever process or host answers. The row starts at 0 with a random epoch.

SQLite keeps a row's columns in order and spills a long row into a chain of overflow
pages, so reading the summary, which came after the document, read the whole document
too. The table is rebuilt with the document last. PostgreSQL keeps long values apart
(TOAST) whatever the order, so nothing changes there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the one-row lab_version table, at 0."""
    table = op.create_table('lab_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.String(length=32), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name='ck_lab_version_one_row'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_version'))
    )
    op.bulk_insert(table, [{"id": 1, "epoch": uuid.uuid4().hex, "number": 0}])
    if op.get_bind().dialect.name == "sqlite":
        _order("outcome", "summary", "inputs", "computed_at", "document")


def _order(*columns: str) -> None:
    with op.batch_alter_table("stored_recommendation", recreate="always",
                              partial_reordering=[("pilot_id", *columns)]):
        pass


def downgrade() -> None:
    """Drop the lab_version table (the column order stays: it changes nothing else)."""
    op.drop_table('lab_version')
