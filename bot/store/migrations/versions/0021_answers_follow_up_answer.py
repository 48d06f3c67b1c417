"""answers: a durable record of follow-up answers (commitments, pairings, steals)

A commitment's status, a pair member's "met" and a steal's outcome keep only
the latest answer and its time, so a later answer moved an earlier one out of
its week and a past digest's figures changed. This table keeps every answer.
The backfill keeps what can still be known: each row's latest answer, at its time.

Revision ID: 0021_answers
Revises: 0002_reflection, 0003_practices, 0004_pairing
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = "0021_answers"
# the backfill reads the commitment, steal and pair tables, so it comes after all three
down_revision = ("0002_reflection", "0003_practices", "0004_pairing")
branch_labels = None
depends_on = None

UTC = bot.store.types.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "follow_up_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=20), nullable=False),
        sa.Column("at", bot.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_follow_up_answer_network_at", "follow_up_answer", ["network_id", "kind", "at", "subject_id", "value", "member_id"])
    op.create_index("ix_follow_up_answer_subject", "follow_up_answer", ["kind", "subject_id", "at"])
    answer = sa.table("follow_up_answer", *(sa.column(c) for c in ("network_id", "member_id", "kind", "subject_id", "value", "at")))
    commitment = sa.table("commitment", sa.column("id"), sa.column("network_id"), sa.column("member_id"), sa.column("status"),
                          sa.column("updated_at", UTC))  # fmt: skip
    pair_member = sa.table("pair_member", sa.column("group_id"), sa.column("round_id"), sa.column("member_id"), sa.column("met"),
                           sa.column("answered_at", UTC))  # fmt: skip
    pairing_round = sa.table("pairing_round", sa.column("id"), sa.column("network_id"))
    steal = sa.table("steal", sa.column("id"), sa.column("practice_id"), sa.column("member_id"), sa.column("outcome"), sa.column("outcome_at", UTC))
    practice = sa.table("practice", sa.column("id"), sa.column("network_id"))
    # statuses are stored by enum name (DONE; a native enum on PostgreSQL); answers by value (done)
    status = sa.func.lower(sa.cast(commitment.c.status, sa.String()))
    op.execute(answer.insert().from_select(
        ["network_id", "member_id", "kind", "subject_id", "value", "at"],
        sa.select(commitment.c.network_id, commitment.c.member_id, sa.literal("commitment"), commitment.c.id,
                  status, commitment.c.updated_at).where(status != "open"),
    ))  # fmt: skip
    op.execute(answer.insert().from_select(
        ["network_id", "member_id", "kind", "subject_id", "value", "at"],
        sa.select(pairing_round.c.network_id, pair_member.c.member_id, sa.literal("pair"), pair_member.c.group_id, pair_member.c.met,
                  pair_member.c.answered_at)
        .join(pairing_round, pairing_round.c.id == pair_member.c.round_id)
        .where(pair_member.c.answered_at.is_not(None), pair_member.c.met.not_in(("pending", "rematched"))),
    ))  # fmt: skip
    op.execute(answer.insert().from_select(
        ["network_id", "member_id", "kind", "subject_id", "value", "at"],
        sa.select(practice.c.network_id, steal.c.member_id, sa.literal("steal"), steal.c.id, steal.c.outcome, steal.c.outcome_at)
        .join(practice, practice.c.id == steal.c.practice_id)
        .where(steal.c.outcome.is_not(None), steal.c.outcome_at.is_not(None)),
    ))  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_follow_up_answer_subject", table_name="follow_up_answer")
    op.drop_index("ix_follow_up_answer_network_at", table_name="follow_up_answer")
    op.drop_table("follow_up_answer")
