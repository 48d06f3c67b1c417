"""slack installation revoked

Revision ID: 0014_slack_revoked
Revises: 0011_slack
Create Date: 2026-12-01 22:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import bot.store.types


revision = '0014_slack_revoked'
down_revision = '0011_slack'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('slack_installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', bot.store.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_reason', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('slack_installation', schema=None) as batch_op:
        batch_op.drop_column('revoked_reason')
        batch_op.drop_column('revoked_at')
