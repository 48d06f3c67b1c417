"""groupmsg: the members an unprompted group message addresses

A pairing introduction or "did you meet?" goes to a whole pair or trio, and
its outbox row names no single member: it counted for nobody's gap between
unprompted messages or weekly cap. One row per addressed member, keyed by
member first, keeps a member's recent unprompted messages one indexed read.

Revision ID: 0024_groupmsg
Revises: 0001_core
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_groupmsg"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_member",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_message.id"]),
        sa.PrimaryKeyConstraint("member_id", "message_id"),
    )
    op.create_index(op.f("ix_outbox_member_message_id"), "outbox_member", ["message_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_member_message_id"), table_name="outbox_member")
    op.drop_table("outbox_member")
