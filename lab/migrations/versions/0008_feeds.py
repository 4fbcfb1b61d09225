"""Feeds (issue 16): notices and who is told what; read-only views for BI tools.

The notice and notice_subscription tables hold what `lab notify` sent and each user's
choice of what to receive (lab.models.notices).

Read-only views for BI tools on PostgreSQL: the export's tables, keys instead of ids.

A BI tool connects with a role that may read these views and nothing else (no users,
tokens or audit trail); docs/EXPORTS.md gives the GRANTs. The views live in the lab's
own schema, named bi_*, and hold the columns of the export's tables of the same name
that come straight from the database (the computed tables, recommendations, looks and
effects, need the lab's statistics: `lab export` or the API serve them). PostgreSQL
only: an embedded SQLite file has no roles to grant.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = {
    "bi_hypotheses": """
        SELECT h.key, h.statement, h.process, h.expected_benefit,
               (SELECT string_agg(value, ', ') FROM json_array_elements_text(h.sponsors))
                   AS sponsors,
               h.owner, (SELECT count(*) FROM pilot p WHERE p.hypothesis_id = h.id) AS pilots,
               h.created_at
        FROM hypothesis h""",
    "bi_pilots": """
        SELECT p.key, p.title, h.key AS hypothesis, p.iteration, parent.key AS parent,
               c.name AS channel, s.name AS segment, p.design, p.analysis, p.status,
               p.allocation, p.alpha, p.power, p.planned_sample, p.planned_periods,
               p.start_date AS start, p.end_date AS "end", p.budget,
               (SELECT coalesce(sum(amount), 0) FROM spend WHERE spend.pilot_id = p.id)
                   AS spend,
               p.currency, p.owner,
               (SELECT string_agg(t.name || ' (' || t.function || ')', ', ' ORDER BY t.id)
                FROM team_member t WHERE t.pilot_id = p.id) AS team,
               p.started_at
        FROM pilot p JOIN hypothesis h ON h.id = p.hypothesis_id
        LEFT JOIN pilot parent ON parent.id = p.parent_id
        LEFT JOIN channel c ON c.id = p.channel_id
        LEFT JOIN segment s ON s.id = p.segment_id""",
    "bi_metrics": """
        SELECT p.key AS pilot, m.key, m.label, m.kind, m.role, m.direction,
               m.minimum_effect, m.margin, m.baseline
        FROM metric m JOIN pilot p ON p.id = m.pilot_id""",
    "bi_observations": """
        SELECT p.key AS pilot, m.key AS metric, o.arm, o.phase, o.period, o.successes,
               o.trials, o.n, o.mean, o.sd, o.events, o.exposure
        FROM observation o JOIN pilot p ON p.id = o.pilot_id
        JOIN metric m ON m.id = o.metric_id""",
    "bi_decisions": """
        SELECT p.key AS pilot, d.outcome, d.recommended, d.rationale, d.decided_by,
               d.decided_at
        FROM decision d JOIN pilot p ON p.id = d.pilot_id""",
    "bi_spend": """
        SELECT p.key AS pilot, e.spent_on, e.amount, e.description, e.recorded_by,
               e.created_at
        FROM spend e JOIN pilot p ON p.id = e.pilot_id""",
    "bi_notes": """
        SELECT p.key AS pilot, n.kind, n.noted_on, n.source, n.text, n.recorded_by,
               n.created_at
        FROM note n JOIN pilot p ON p.id = n.pilot_id""",
}


KINDS = "kind IN ('outcome_changed', 'decision_overdue', 'digest')"


def upgrade() -> None:
    """Create the notice tables, and the bi_* views (PostgreSQL only)."""
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('pilot', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('silent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('emails_sent', sa.Integer(), nullable=False),
    sa.Column('email_error', sa.String(length=500), nullable=True),
    sa.Column('webhook_attempts', sa.Integer(), nullable=False),
    sa.Column('webhook_delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('webhook_error', sa.String(length=500), nullable=True),
    sa.CheckConstraint(KINDS, name='ck_notice_kind'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    sa.UniqueConstraint('key', name=op.f('uq_notice_key'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_pilot'), ['pilot'], unique=False)
    op.create_table('notice_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.CheckConstraint(KINDS, name='ck_notice_subscription_kind'),
    sa.ForeignKeyConstraint(['user_id'], ['lab_user.id'],
                            name=op.f('fk_notice_subscription_user_id_lab_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_subscription')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notice_subscription_user')
    )
    with op.batch_alter_table('notice_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_subscription_user_id'), ['user_id'],
                              unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    """Drop the bi_* views and the notice tables."""
    if op.get_bind().dialect.name == "postgresql":
        for name in reversed(list(VIEWS)):
            op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_table('notice_subscription')
    op.drop_table('notice')
