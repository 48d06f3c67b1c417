"""member chosen_at: the network a person chose for their private commands

Revision ID: 0013_network_choice
Revises: 0001_core
Create Date: 2026-12-01 22:30:00
"""

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0013_network_choice"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("chosen_at", bot.store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.drop_column("chosen_at")
