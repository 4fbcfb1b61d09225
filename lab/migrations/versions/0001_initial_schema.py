"""Initial schema: the registry, evidence, governance and people tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:23:00.438014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_key', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    op.create_index(op.f('ix_audit_event_action'), 'audit_event', ['action'], unique=False)
    op.create_index(op.f('ix_audit_event_at'), 'audit_event', ['at'], unique=False)
    op.create_index(op.f('ix_audit_event_object_key'), 'audit_event', ['object_key'], unique=False)

    op.create_table('channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel')),
    sa.UniqueConstraint('name', name=op.f('uq_channel_name'))
    )
    op.create_table('hypothesis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('statement', sa.String(), nullable=False),
    sa.Column('process', sa.String(length=40), nullable=False),
    sa.Column('expected_benefit', sa.String(), nullable=False),
    sa.Column('sponsors', sa.JSON(), nullable=False),
    sa.Column('owner', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("process IN ('acquisition', 'onboarding', 'development', 'retention', 'win-back', 'service', 'product-co-creation', 'voice-of-the-customer')", name='ck_hypothesis_process'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hypothesis')),
    sa.UniqueConstraint('key', name=op.f('uq_hypothesis_key'))
    )
    op.create_table('lab_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('viewer', 'member', 'analyst', 'manager', 'admin')", name='ck_user_role'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_user')),
    sa.UniqueConstraint('email', name=op.f('uq_lab_user_email'))
    )
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    op.create_index(op.f('ix_login_attempt_at'), 'login_attempt', ['at'], unique=False)
    op.create_index(op.f('ix_login_attempt_email'), 'login_attempt', ['email'], unique=False)

    op.create_table('segment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segment')),
    sa.UniqueConstraint('name', name=op.f('uq_segment_name'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['lab_user.id'], name=op.f('fk_api_token_user_id_lab_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    op.create_index(op.f('ix_api_token_user_id'), 'api_token', ['user_id'], unique=False)

    op.create_table('pilot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('hypothesis_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('design', sa.String(length=20), nullable=False),
    sa.Column('analysis', sa.String(length=20), nullable=False),
    sa.Column('allocation', sa.Float(), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=False),
    sa.Column('power', sa.Float(), nullable=False),
    sa.Column('planned_sample', sa.Integer(), nullable=True),
    sa.Column('planned_periods', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('budget', sa.Float(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('owner', sa.String(length=254), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("analysis IN ('sequential', 'always-valid', 'fixed')", name='ck_pilot_analysis'),
    sa.CheckConstraint("design IN ('holdout', 'diff-in-diff', 'baseline')", name='ck_pilot_design'),
    sa.CheckConstraint("status IN ('draft', 'running', 'scaled_up', 'revised', 'withdrawn')", name='ck_pilot_status'),
    sa.CheckConstraint('allocation > 0 AND allocation < 1', name='ck_pilot_allocation'),
    sa.CheckConstraint('alpha > 0 AND alpha < 0.5', name='ck_pilot_alpha'),
    sa.CheckConstraint('budget >= 0', name='ck_pilot_budget'),
    sa.CheckConstraint('channel_id IS NOT NULL OR segment_id IS NOT NULL', name='ck_pilot_scope'),
    sa.CheckConstraint('end_date >= start_date', name='ck_pilot_dates'),
    sa.CheckConstraint('iteration >= 1', name='ck_pilot_iteration'),
    sa.CheckConstraint('planned_sample IS NULL OR planned_sample > 0', name='ck_pilot_planned_sample'),
    sa.CheckConstraint('power > 0.5 AND power < 1', name='ck_pilot_power'),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_pilot_channel_id_channel')),
    sa.ForeignKeyConstraint(['hypothesis_id'], ['hypothesis.id'], name=op.f('fk_pilot_hypothesis_id_hypothesis')),
    sa.ForeignKeyConstraint(['parent_id'], ['pilot.id'], name=op.f('fk_pilot_parent_id_pilot')),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.id'], name=op.f('fk_pilot_segment_id_segment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pilot')),
    sa.UniqueConstraint('key', name=op.f('uq_pilot_key')),
    sa.UniqueConstraint('parent_id', name=op.f('uq_pilot_parent_id'))
    )
    op.create_index(op.f('ix_pilot_channel_id'), 'pilot', ['channel_id'], unique=False)
    op.create_index(op.f('ix_pilot_hypothesis_id'), 'pilot', ['hypothesis_id'], unique=False)
    op.create_index(op.f('ix_pilot_segment_id'), 'pilot', ['segment_id'], unique=False)
    op.create_index(op.f('ix_pilot_status'), 'pilot', ['status'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('recommended', sa.String(length=20), nullable=False),
    sa.Column('recommendation', sa.JSON(), nullable=False),
    sa.Column('rationale', sa.String(), nullable=False),
    sa.Column('decided_by', sa.String(length=254), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('scaled_up', 'revised', 'withdrawn')", name='ck_decision_outcome'),
    sa.CheckConstraint("recommended IN ('scale_up', 'revise', 'withdraw', 'continue')", name='ck_decision_recommended'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_decision_pilot_id_pilot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision')),
    sa.UniqueConstraint('pilot_id', name=op.f('uq_decision_pilot_id'))
    )
    op.create_table('metric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('minimum_effect', sa.Float(), nullable=True),
    sa.Column('margin', sa.Float(), nullable=True),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.CheckConstraint("direction IN ('increase', 'decrease')", name='ck_metric_direction'),
    sa.CheckConstraint("kind IN ('proportion', 'mean', 'rate')", name='ck_metric_kind'),
    sa.CheckConstraint("role <> 'guardrail' OR margin > 0", name='ck_metric_guardrail'),
    sa.CheckConstraint("role <> 'primary' OR minimum_effect > 0", name='ck_metric_primary'),
    sa.CheckConstraint("role IN ('primary', 'guardrail', 'secondary')", name='ck_metric_role'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_metric_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric')),
    sa.UniqueConstraint('pilot_id', 'id', name='uq_metric_pilot_id'),
    sa.UniqueConstraint('pilot_id', 'key', name='uq_metric_pilot_key')
    )
    op.create_index(op.f('ix_metric_pilot_id'), 'metric', ['pilot_id'], unique=False)
    op.create_index('uq_metric_one_primary', 'metric', ['pilot_id'], unique=True, sqlite_where=sa.text("role = 'primary'"), postgresql_where=sa.text("role = 'primary'"))

    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('recorded_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('customer-voice', 'frontline-voice', 'focus-group', 'observation', 'risk')", name='ck_note_kind'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_note_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note'))
    )
    op.create_index(op.f('ix_note_pilot_id'), 'note', ['pilot_id'], unique=False)

    op.create_table('spend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('recorded_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name='ck_spend_amount'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_spend_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend'))
    )
    op.create_index(op.f('ix_spend_pilot_id'), 'spend', ['pilot_id'], unique=False)

    op.create_table('team_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('function', sa.String(length=40), nullable=False),
    sa.CheckConstraint("function IN ('marketing', 'sales', 'service', 'it', 'compliance', 'product', 'analytics', 'management')", name='ck_team_member_function'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_team_member_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_member'))
    )
    op.create_index(op.f('ix_team_member_pilot_id'), 'team_member', ['pilot_id'], unique=False)

    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('arm', sa.String(length=10), nullable=False),
    sa.Column('phase', sa.String(length=10), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('successes', sa.BigInteger(), nullable=True),
    sa.Column('trials', sa.BigInteger(), nullable=True),
    sa.Column('n', sa.BigInteger(), nullable=True),
    sa.Column('mean', sa.Float(), nullable=True),
    sa.Column('sd', sa.Float(), nullable=True),
    sa.Column('events', sa.BigInteger(), nullable=True),
    sa.Column('exposure', sa.Float(), nullable=True),
    sa.CheckConstraint("arm IN ('pilot', 'control')", name='ck_observation_arm'),
    sa.CheckConstraint("phase IN ('before', 'during')", name='ck_observation_phase'),
    sa.CheckConstraint('(successes IS NOT NULL AND trials IS NOT NULL AND n IS NULL AND mean IS NULL AND sd IS NULL AND events IS NULL AND exposure IS NULL) OR (successes IS NULL AND trials IS NULL AND n IS NOT NULL AND mean IS NOT NULL AND sd IS NOT NULL AND events IS NULL AND exposure IS NULL) OR (successes IS NULL AND trials IS NULL AND n IS NULL AND mean IS NULL AND sd IS NULL AND events IS NOT NULL AND exposure IS NOT NULL)', name='ck_observation_kind'),
    sa.CheckConstraint('events IS NULL OR events >= 0', name='ck_observation_events'),
    sa.CheckConstraint('exposure IS NULL OR exposure > 0', name='ck_observation_exposure'),
    sa.CheckConstraint('n IS NULL OR n >= 1', name='ck_observation_n'),
    sa.CheckConstraint('sd IS NULL OR sd >= 0', name='ck_observation_sd'),
    sa.CheckConstraint('successes IS NULL OR (successes >= 0 AND successes <= trials)', name='ck_observation_successes'),
    sa.CheckConstraint('trials IS NULL OR trials >= 0', name='ck_observation_trials'),
    sa.ForeignKeyConstraint(['pilot_id', 'metric_id'], ['metric.pilot_id', 'metric.id'], name='fk_observation_metric', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilot.id'], name=op.f('fk_observation_pilot_id_pilot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation'))
    )
    op.create_index('uq_observation_key', 'observation', ['pilot_id', 'metric_id', 'arm', 'phase', 'period'], unique=True)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('observation')
    op.drop_table('team_member')
    op.drop_table('spend')
    op.drop_table('note')
    op.drop_table('metric')
    op.drop_table('decision')
    op.drop_table('pilot')
    op.drop_table('api_token')
    op.drop_table('segment')
    op.drop_table('login_attempt')
    op.drop_table('lab_user')
    op.drop_table('hypothesis')
    op.drop_table('channel')
    op.drop_table('audit_event')
