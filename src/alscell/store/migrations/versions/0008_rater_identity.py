"""Optional extension column alsfrs.rater: the clinic's pseudonym for the person who rated an ALSFRS-R visit
(e.g. R07, never a name; docs/data-rules.md, "Canonical extensions").

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN (nullable, no default): no table rebuild on SQLite.  String(40) as
    # alscell.io.columns.MAX_LENGTH["rater"] (rule bad_rater refuses anything longer before it is stored).
    op.add_column("alsfrs", sa.Column("rater", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("alsfrs") as batch:
        batch.drop_column("rater")
