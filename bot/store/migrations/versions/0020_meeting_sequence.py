"""meeting sequence: how many times a meeting changed, for calendar files (RFC 5545 SEQUENCE)

Revision ID: 0020_meeting_sequence
Revises: 0007_nudges
Create Date: 2026-12-01 23:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_meeting_sequence"
down_revision = "0007_nudges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("sequence")
