"""due: indexes for the hourly runs' "what is due by now?" queries

The nudges, the reflection reminders and the follow-ups read only what falls
due (open commitments due by a date, steals whose follow-up is
due, whether a subject was raised before); these composite indexes make each
an index range scan. The tables were created by other revisions, so each
index is created only if missing.

Revision ID: 0018_due
Revises: 0002_reflection
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_due"
down_revision = "0002_reflection"
branch_labels = None
depends_on = ("0003_practices", "0007_nudges")

INDEXES = (
    ("ix_due_commitment_open", "commitment", ["network_id", "status", "due_date"]),
    ("ix_due_steal_follow_up", "steal", ["follow_up_due", "outcome"]),
    ("ix_due_nudge_subject", "nudge_log", ["network_id", "subject"]),
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
