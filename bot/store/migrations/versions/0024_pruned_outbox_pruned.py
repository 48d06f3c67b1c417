"""pruned: when a delivered message's words were deleted, in a column an index holds

Housekeeping runs every hour and used to find the rows still holding their
words by a JSON key in the payload, which no index covers: every hour it read
every delivered message the network ever had, so a network that runs for a
year slows down with its history. ``pruned_at`` (NULL while the words are
kept) and ``ix_outbox_unpruned`` let it read only the rows not yet pruned.
Rows pruned before this revision are marked from their payload.

Revision ID: 0024_pruned
Revises: 0001_core
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0024_pruned"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pruned_at", bot.store.types.UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE outbox_message SET pruned_at = coalesce(sent_at, created_at) WHERE pruned_at IS NULL AND json_extract(payload, '$.pruned') IS NOT NULL")
    else:
        op.execute("UPDATE outbox_message SET pruned_at = coalesce(sent_at, created_at) WHERE pruned_at IS NULL AND (payload::jsonb ? 'pruned')")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_unpruned", ["network_id", "pruned_at", "status", "sent_at", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpruned")
        batch_op.drop_column("pruned_at")
