"""Stand-by measures (issue 15, item 3): fired rules, the paused state, their notices.

`standby_firing` keeps each pre-registered stand-by rule that held at a look, once,
append-only like the audit log. A pilot may be `paused`, and keeps the day its pause
began and the whole days of its ended pauses (the planned end moves by them). Notices
gain the kind `standby_fired`.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("draft", "running", "scaled_up", "revised", "withdrawn")
KINDS = ("outcome_changed", "decision_overdue", "digest")
TABLE = "standby_firing"


def _within(column: str, names) -> str:
    return f"{column} IN (" + ", ".join(f"'{name}'" for name in names) + ")"


def _checks(statuses, kinds) -> None:
    with op.batch_alter_table("pilot") as batch:
        batch.drop_constraint("ck_pilot_status", type_="check")
        batch.create_check_constraint("ck_pilot_status", _within("status", statuses))
    for table in ("notice", "notice_subscription"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"ck_{table}_kind", type_="check")
            batch.create_check_constraint(f"ck_{table}_kind", _within("kind", kinds))


def upgrade() -> None:
    """Create standby_firing (append-only), add the pause columns, widen the checks."""
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=80), nullable=False),
        sa.Column("reads", sa.String(length=20), nullable=False),
        sa.Column("side", sa.String(length=5), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("look", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_within("action", ("alert", "pause", "propose_withdrawal")),
                           name="ck_standby_firing_action"),
        sa.CheckConstraint(_within("reads", ("value", "lower", "upper")),
                           name="ck_standby_firing_reads"),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilot.id"],
                                name=op.f("fk_standby_firing_pilot_id_pilot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standby_firing")),
        sa.UniqueConstraint("pilot_id", "rule", name="uq_standby_firing_rule"))
    op.create_index(op.f("ix_standby_firing_pilot_id"), TABLE, ["pilot_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # lab_refuse_change() is 0002's: one message for every append-only table.
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION lab_refuse_change()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {TABLE}_no_{event.lower()} BEFORE {event} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{TABLE} rows are never changed or "
                       "deleted'); END")
    with op.batch_alter_table("pilot") as batch:
        batch.add_column(sa.Column("paused_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("paused_days", sa.Integer(), nullable=False,
                                   server_default="0"))
    _checks((*STATUSES[:2], "paused", *STATUSES[2:]), (*KINDS, "standby_fired"))


def downgrade() -> None:
    """Drop the firings and the pause columns; a paused pilot goes back to running."""
    op.execute("UPDATE pilot SET status = 'running' WHERE status = 'paused'")
    op.execute("DELETE FROM notice_subscription WHERE kind = 'standby_fired'")
    op.execute("DELETE FROM notice WHERE kind = 'standby_fired'")
    _checks(STATUSES, KINDS)
    with op.batch_alter_table("pilot") as batch:
        batch.drop_column("paused_days")
        batch.drop_column("paused_on")
    op.drop_table(TABLE)  # its triggers go with it
