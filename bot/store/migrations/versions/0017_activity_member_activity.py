"""activity: one row per member and local day they were active

The digest's "active" figures read ``member.last_active_at``, which moves on
each message, so past weeks' figures changed after the fact. This table keeps
each day for good. The backfill keeps what can still be known: each member's
last active day (the earlier days are in the other flows' own tables, which
the digest reads too).

Revision ID: 0017_activity
Revises: 0001_core
Create Date: 2026-12-01
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0017_activity"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "member_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", bot.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "day", name="uq_member_activity_day"),
    )
    op.create_index("ix_member_activity_network_at", "member_activity", ["network_id", "at", "member_id"], unique=False)
    bind = op.get_bind()
    member, network = sa.table("member", sa.column("id"), sa.column("network_id"), sa.column("last_active_at", bot.store.types.UTCDateTime())), \
        sa.table("network", sa.column("id"), sa.column("timezone"))  # fmt: skip
    rows = bind.execute(
        sa.select(member.c.id, member.c.network_id, member.c.last_active_at, network.c.timezone)
        .join(network, network.c.id == member.c.network_id)
        .where(member.c.last_active_at.is_not(None))
    ).all()
    backfill = []
    for member_id, network_id, at, zone in rows:
        try:
            tz = ZoneInfo(zone or "UTC")
        except (KeyError, ValueError):
            tz = ZoneInfo("UTC")
        backfill.append({"network_id": network_id, "member_id": member_id, "day": at.astimezone(tz).date(), "at": at})
    if backfill:
        op.bulk_insert(table, backfill)


def downgrade() -> None:
    op.drop_index("ix_member_activity_network_at", table_name="member_activity")
    op.drop_table("member_activity")
