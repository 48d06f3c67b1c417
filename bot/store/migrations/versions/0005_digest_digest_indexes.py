"""digest: indexes for the digest's aggregates

The digest counts rows of one network in a time range (prompts sent this
week, steals this week, members active since…); these composite indexes
make each an index range scan instead of a scan of the whole table.
They are added on other flows' tables, so each is created only if missing.

Revision ID: 0005_digest
Revises: 0001_core
Create Date: 2026-11-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_digest"
down_revision = "0001_core"
branch_labels = None
depends_on = ("0002_reflection", "0003_practices", "0004_pairing")

INDEXES = (
    # covering: the weekly CASE buckets read only the index, never the table
    ("ix_digest_prompt_sent", "reflection_prompt", ["network_id", "sent_at", "status", "member_id"]),
    ("ix_digest_reflection_started", "reflection", ["network_id", "started_at", "member_id"]),
    ("ix_digest_reflection_completed", "reflection", ["network_id", "completed_at"]),
    ("ix_digest_reflection_shared", "reflection", ["network_id", "shared_at"]),
    ("ix_digest_commitment_created", "commitment", ["network_id", "created_at"]),
    ("ix_digest_practice_created", "practice", ["network_id", "created_at"]),
    ("ix_digest_steal_created", "steal", ["created_at", "practice_id", "member_id", "mode"]),
    ("ix_digest_steal_practice", "steal", ["practice_id", "created_at", "mode"]),
    ("ix_digest_steal_outcome", "steal", ["outcome_at"]),
    ("ix_digest_pair_member_answered", "pair_member", ["answered_at", "round_id", "member_id", "met", "group_id"]),
    ("ix_digest_member_active", "member", ["network_id", "last_active_at"]),
    ("ix_digest_member_created", "member", ["network_id", "created_at"]),
)


def _existing(table: str) -> set[str]:
    inspector = sa.inspect(op.get_bind())
    if table not in inspector.get_table_names():
        return {"<no table>"}
    return {ix["name"] for ix in inspector.get_indexes(table)}


def upgrade() -> None:
    for name, table, columns in INDEXES:
        existing = _existing(table)
        if "<no table>" not in existing and name not in existing:
            op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        if name in _existing(table):
            op.drop_index(name, table_name=table)
