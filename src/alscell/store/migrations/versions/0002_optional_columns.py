"""Optional columns of data format version 1: patients.site; treatments.lot, viability_pct, passage;
alsfrs.assessor.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    ("patients", sa.Column("site", sa.String(64))),
    ("treatments", sa.Column("lot", sa.Text())),
    ("treatments", sa.Column("viability_pct", sa.Float())),
    ("treatments", sa.Column("passage", sa.Integer())),
    ("alsfrs", sa.Column("assessor", sa.String(16))),
)


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (nullable, no default): no table rebuild on SQLite.
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column.name)
