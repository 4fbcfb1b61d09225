"""Feeds, continued (issue 16): incremental exports, one sender per notice, plans awaiting.

- observation.recorded_at: when the row was last written (inserted or corrected), so
  `lab export --since` and the tables API re-send an observation whose values changed.
  Rows stored before this revision get the time of the upgrade: until now observations
  were exported whole, so every consumer already holds them, and sending them once more
  can only repeat a row (an upsert on the natural key absorbs it), never lose one.
- notice.claimed_until: the lease a `lab notify send` takes on a notice while it
  e-mails and posts it, so two senders running at once never deliver it twice.
- The notice kinds gain plan_awaiting (a plan awaits a manager's approval).
- On PostgreSQL, bi_pilots, bi_metrics and bi_observations end with the same stamps as
  the export's tables (updated_at, the pilot's updated_at, recorded_at).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "kind IN ('outcome_changed', 'decision_overdue', 'digest', 'standby_fired')"
NEW_KINDS = ("kind IN ('outcome_changed', 'decision_overdue', 'plan_awaiting', 'digest', "
             "'standby_fired')")
PILOTS = """
        SELECT p.key, p.title, h.key AS hypothesis, p.iteration, parent.key AS parent,
               c.name AS channel, s.name AS segment, p.design, p.analysis, p.status,
               p.allocation, p.alpha, p.power, p.planned_sample, p.planned_periods,
               p.start_date AS start, p.end_date AS "end", p.budget,
               (SELECT coalesce(sum(amount), 0) FROM spend WHERE spend.pilot_id = p.id)
                   AS spend,
               p.currency, p.owner,
               (SELECT string_agg(t.name || ' (' || t.function || ')', ', ' ORDER BY t.id)
                FROM team_member t WHERE t.pilot_id = p.id) AS team,
               p.started_at{}
        FROM pilot p JOIN hypothesis h ON h.id = p.hypothesis_id
        LEFT JOIN pilot parent ON parent.id = p.parent_id
        LEFT JOIN channel c ON c.id = p.channel_id
        LEFT JOIN segment s ON s.id = p.segment_id"""
METRICS = """
        SELECT p.key AS pilot, m.key, m.label, m.kind, m.role, m.direction,
               m.minimum_effect, m.margin, m.baseline{}
        FROM metric m JOIN pilot p ON p.id = m.pilot_id"""
OBSERVATIONS = """
        SELECT p.key AS pilot, m.key AS metric, o.arm, o.phase, o.period, o.successes,
               o.trials, o.n, o.mean, o.sd, o.events, o.exposure{}
        FROM observation o JOIN pilot p ON p.id = o.pilot_id
        JOIN metric m ON m.id = o.metric_id"""
# Each view and the stamp column it gains (appended: CREATE OR REPLACE keeps the rest).
VIEWS = {"bi_pilots": (PILOTS, ", p.updated_at"), "bi_metrics": (METRICS, ", p.updated_at"),
         "bi_observations": (OBSERVATIONS, ", o.recorded_at")}
CHECKS = (("notice", "ck_notice_kind"), ("notice_subscription", "ck_notice_subscription_kind"))


def upgrade() -> None:
    """Add and backfill observation.recorded_at; add notice.claimed_until; a new kind."""
    with op.batch_alter_table("observation") as batch:
        batch.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.get_bind().execute(sa.text("UPDATE observation SET recorded_at = :now"),
                          {"now": datetime.now(UTC)})
    with op.batch_alter_table("observation") as batch:
        batch.alter_column("recorded_at", existing_type=sa.DateTime(timezone=True),
                           nullable=False)
        batch.create_index("ix_observation_recorded_at", ["recorded_at"], unique=False)
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True),
                                   nullable=True))
    _kinds(NEW_KINDS)
    if op.get_bind().dialect.name == "postgresql":
        for name, (query, stamp) in VIEWS.items():
            op.execute(f"CREATE OR REPLACE VIEW {name} AS {query.format(stamp)}")


def downgrade() -> None:
    """Drop the columns and the kind (fails while a notice of that kind is kept)."""
    if op.get_bind().dialect.name == "postgresql":
        for name, (query, _stamp) in VIEWS.items():  # a view cannot lose a column in place
            op.execute(f"DROP VIEW {name}")
            op.execute(f"CREATE VIEW {name} AS {query.format('')}")
    _kinds(OLD_KINDS)
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("claimed_until")
    with op.batch_alter_table("observation") as batch:
        batch.drop_index("ix_observation_recorded_at")
        batch.drop_column("recorded_at")


def _kinds(condition: str) -> None:
    for table, name in CHECKS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="check")
            batch.create_check_constraint(name, condition)
