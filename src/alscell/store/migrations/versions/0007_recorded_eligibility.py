"""Optional extension column alsfrs.eligible: the clinic's screening for the therapy at a visit (met its criteria
or not; docs/data-rules.md, "Canonical extensions").

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (nullable, no default): no table rebuild on SQLite.
    op.add_column("alsfrs", sa.Column("eligible", sa.Boolean()))


def downgrade() -> None:
    with op.batch_alter_table("alsfrs") as batch:
        batch.drop_column("eligible")
