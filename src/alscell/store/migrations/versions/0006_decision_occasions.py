"""Optional extension columns treatments.decision_date and alsfrs.visit_type: when the decision to give an
administration was taken, and the occasion of a visit (docs/data-rules.md, "Canonical extensions").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("treatments", sa.Column("decision_date", sa.Date())),
    ("alsfrs", sa.Column("visit_type", sa.String(16))),
)


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (nullable, no default): no table rebuild on SQLite.
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column.name)
