"""bymember: what forget-me and a member's export read by member, through an index

Forgetting a member and exporting their data look up their rows in every
table by the member's column. Three had no index on it: the audit entries
(``actor_id``), the questions asked of practices (``asker_id``) and the pairs
a facilitator excluded (``member_a``, ``member_b``). Each look-up read the
whole table, every network's, so forgetting one member cost more with every
network's history.

Revision ID: 0027_bymember
Revises: 0026_byreflection
Create Date: 2026-12-03
"""

from alembic import op

revision = "0027_bymember"
down_revision = "0026_byreflection"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_audit_entry_actor_id", "audit_entry", "actor_id"),
    ("ix_practice_question_asker_id", "practice_question", "asker_id"),
    ("ix_pair_exclude_member_a", "pair_exclude", "member_a"),
    ("ix_pair_exclude_member_b", "pair_exclude", "member_b"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
