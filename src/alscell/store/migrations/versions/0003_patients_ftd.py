"""Optional column patients.ftd (frontotemporal dementia, for the ENCALS prognostic model; docs/prognosis.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (nullable, no default): no table rebuild on SQLite.
    op.add_column("patients", sa.Column("ftd", sa.Boolean()))


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("ftd")
