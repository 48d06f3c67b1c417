"""unprompted: which outbox messages the member did not ask for, and the opt-outs they keep

A prompt held for the morning must not go if the member paused (or stopped
its flow, or became unreachable) overnight, so delivery re-checks the
member's limits for these rows; ``unprompted`` holds the opt-out keys that
apply ("reflection", "" for none) and stays NULL for replies, so rows
written before this revision are delivered as they always were. The index
on (member, time) lets a fan-out read each member's recent unprompted
messages in bulk, for the gap between them and the weekly cap.

Revision ID: 0023_unprompted
Revises: 0001_core
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0023_unprompted"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unprompted", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.create_index("ix_outbox_member_time", ["member_id", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_member_time")
        batch_op.drop_column("unprompted")
