"""pairing: whether a member shared what they learned

What a pair answers to "what did you learn?" is private to the pair; the
digest by direct message quotes it only when the member said yes. Existing
answers were never asked, so they stay private (false).

Revision ID: 0017_pairshare
Revises: 0004_pairing
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_pairshare"
down_revision = "0004_pairing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("pair_member", sa.Column("learned_shared", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.execute("ALTER TABLE pair_member DROP COLUMN learned_shared")
