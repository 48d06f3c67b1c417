"""roles: a member holds a set of roles, not a rank

Until now ``member.role`` was one value on a ladder (member < facilitator <
coordinator), so a coordinator could do everything a facilitator could. Roles
are now two independent flags. Existing data keeps every right it had in
practice: a facilitator stays a facilitator, and an existing coordinator gets
BOTH roles, because until this upgrade they could set the network up and
grant roles, and a deployment must not wake up without anyone able to do so
(a facilitator can revoke the extra role afterwards).

Revision ID: 0017_roles
Revises: 0001_core
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_roles"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("member", sa.Column("is_facilitator", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("member", sa.Column("is_coordinator", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE member SET is_facilitator = (role IN ('FACILITATOR', 'COORDINATOR')), is_coordinator = (role = 'COORDINATOR')")
    # a plain DROP COLUMN (SQLite >= 3.35, PostgreSQL): rebuilding the table would
    # trip the foreign keys other tables hold on member.id
    op.execute("ALTER TABLE member DROP COLUMN role")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TYPE IF EXISTS role")


def downgrade() -> None:
    role = sa.Enum("MEMBER", "FACILITATOR", "COORDINATOR", name="role")
    role.create(op.get_bind(), checkfirst=True)
    op.add_column("member", sa.Column("role", role, nullable=False, server_default="MEMBER"))
    op.execute("UPDATE member SET role = CASE WHEN is_coordinator THEN 'COORDINATOR' WHEN is_facilitator THEN 'FACILITATOR' ELSE 'MEMBER' END")
    op.execute("ALTER TABLE member DROP COLUMN is_coordinator")
    op.execute("ALTER TABLE member DROP COLUMN is_facilitator")
