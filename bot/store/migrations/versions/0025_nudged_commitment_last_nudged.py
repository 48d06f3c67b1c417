"""nudged: commitments no longer keep when they were last nudged

``commitment.last_nudged_at`` was written when a nudge about the commitment
was queued and read by nothing: the nudge log is what says whether and when a
member was asked, and it forgets a nudge that never reached them, which the
column did not, so a member's data export could name a nudge they never saw.

Revision ID: 0025_nudged
Revises: 0018_due
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0025_nudged"
down_revision = "0018_due"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_column("last_nudged_at")


def downgrade() -> None:
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_nudged_at", bot.store.types.UTCDateTime(), nullable=True))
