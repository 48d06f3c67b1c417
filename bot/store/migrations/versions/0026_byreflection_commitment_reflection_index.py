"""byreflection: a commitment is found by its reflection through an index

Every finished reflection looks up its commitment by ``reflection_id``
(twice: to ask whether it looks right, then in the summary), and so does
each "Looks right". Without an index each look-up read the whole commitment
table, every network's, which grows by a row for most reflections answered:
its cost grew with every week of history, however little was asked for.

Revision ID: 0026_byreflection
Revises: 0025_nudged
Create Date: 2026-12-03
"""

from alembic import op

revision = "0026_byreflection"
down_revision = "0025_nudged"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_commitment_reflection_id", "commitment", ["reflection_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_commitment_reflection_id", table_name="commitment")
