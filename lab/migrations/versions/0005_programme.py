"""The programme: plan approvals (four eyes), the backlog, learnings, initiatives elsewhere.

On SQLite the learning cards are indexed for search by an FTS5 table kept in step by
triggers (learning_fts); PostgreSQL searches them with its own full-text functions.

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
    """Create the plan_approval, backlog_entry, learning_card and learning_feedback tables."""
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
    op.create_table('learning_card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('believed', sa.String(), nullable=False),
    sa.Column('observed', sa.String(), nullable=False),
    sa.Column('learned', sa.String(), nullable=False),
    sa.Column('next_step', sa.String(), nullable=False),
    sa.Column('tags', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=254), nullable=True),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_learning_card_decision_id_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_card')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_learning_card_decision_id'))
    )
    op.create_table('learning_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['learning_card.id'], name=op.f('fk_learning_feedback_card_id_learning_card')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_feedback'))
    )
    op.create_index(op.f('ix_learning_feedback_card_id'), 'learning_feedback', ['card_id'], unique=False)
    op.create_table('initiative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('function', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=80), nullable=True),
    sa.Column('segment', sa.String(length=80), nullable=True),
    sa.Column('process', sa.String(length=40), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('measures', sa.String(), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('adopted_as', sa.String(length=80), nullable=True),
    sa.Column('recorded_by', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("function IN ('marketing', 'sales', 'service', 'it', 'compliance', 'product', 'analytics', 'management')", name='ck_initiative_function'),
    sa.CheckConstraint("process IN ('acquisition', 'onboarding', 'development', 'retention', 'win-back', 'service', 'product-co-creation', 'voice-of-the-customer')", name='ck_initiative_process'),
    sa.CheckConstraint("status IN ('planned', 'running', 'ended')", name='ck_initiative_status'),
    sa.CheckConstraint('channel IS NOT NULL OR segment IS NOT NULL', name='ck_initiative_scope'),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name='ck_initiative_dates'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative')),
    sa.UniqueConstraint('key', name=op.f('uq_initiative_key'))
    )
    op.create_table('note_stance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=20), nullable=False),
    sa.Column('marked_by', sa.String(length=254), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stance IN ('supports', 'contradicts')", name='ck_note_stance_stance'),
    sa.ForeignKeyConstraint(['note_id'], ['note.id'], name=op.f('fk_note_stance_note_id_note'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_stance')),
    sa.UniqueConstraint('note_id', name=op.f('uq_note_stance_note_id'))
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search()


FTS_COLUMNS = "believed, observed, learned, next_step, tags"


def _sqlite_search() -> None:
    """Index the cards' text in FTS5 (external content), kept in step by triggers."""
    op.execute(f"CREATE VIRTUAL TABLE learning_fts USING fts5({FTS_COLUMNS}, "
               "content='learning_card', content_rowid='id', tokenize='porter unicode61')")
    new = ", ".join(f"new.{name}" for name in FTS_COLUMNS.split(", "))
    old = ", ".join(f"old.{name}" for name in FTS_COLUMNS.split(", "))
    op.execute(f"CREATE TRIGGER learning_fts_insert AFTER INSERT ON learning_card BEGIN "
               f"INSERT INTO learning_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER learning_fts_delete AFTER DELETE ON learning_card BEGIN "
               f"INSERT INTO learning_fts(learning_fts, rowid, {FTS_COLUMNS}) "
               f"VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER learning_fts_update AFTER UPDATE ON learning_card BEGIN "
               f"INSERT INTO learning_fts(learning_fts, rowid, {FTS_COLUMNS}) "
               f"VALUES ('delete', old.id, {old}); "
               f"INSERT INTO learning_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, {new}); END")


def downgrade() -> None:
    """Drop the programme's tables (the search index and its triggers go with them)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS learning_fts")
    op.drop_table('note_stance')
    op.drop_table('initiative')
    op.drop_index(op.f('ix_learning_feedback_card_id'), table_name='learning_feedback')
    op.drop_table('learning_feedback')
    op.drop_table('learning_card')
    op.drop_table('backlog_entry')
    op.drop_index(op.f('ix_plan_approval_pilot_id'), table_name='plan_approval')
    op.drop_table('plan_approval')
