"""Audit reason column and append-only audit trail; signed/locked records; personal access tokens; the web
patient list's summary table (docs/web.md).

On PostgreSQL a trigger rejects every UPDATE, DELETE and TRUNCATE of ``audit_log``; on SQLite two triggers
reject UPDATE and DELETE.  The application has no path that changes an audit entry; the triggers make sure
that nothing else does either (21 CFR 11.10(e): audit trails are not to obscure previously recorded
information).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import alscell.store.locks  # puts the tables of this revision on the registry's metadata
import alscell.store.summary  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION alscell_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("reason", sa.Text()))
    op.create_table(
        "web_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_web_tokens_token_hash", "web_tokens", ["token_hash"], unique=True)
    op.create_index("ix_web_tokens_user_id", "web_tokens", ["user_id"])
    op.create_table(
        "record_locks",
        sa.Column("table_name", sa.String(32), primary_key=True),
        sa.Column("row_key", sa.String(255), primary_key=True),
        sa.Column("signed_by", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meaning", sa.String(64), nullable=False),
    )
    op.create_table(
        "web_patient_summary",
        sa.Column(
            "patient_id",
            sa.String(64),
            sa.ForeignKey("patients.patient_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("pseudonym", sa.String(32), nullable=False),
        sa.Column("site", sa.String(64)),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("onset_site", sa.String(16), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("n_visits", sa.Integer(), nullable=False),
        sa.Column("last_visit", sa.Date()),
        sa.Column("last_total", sa.Float()),
        sa.Column("kings", sa.String(2)),
        sa.Column("delta_frs", sa.Float()),
    )
    op.create_index("ix_web_patient_summary_pseudonym", "web_patient_summary", ["pseudonym"], unique=True)
    op.create_index("ix_web_patient_summary_site", "web_patient_summary", ["site"])
    op.create_index("ix_web_patient_summary_kings", "web_patient_summary", ["kings"])
    op.create_index("ix_web_patient_summary_delta_frs", "web_patient_summary", ["delta_frs"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION alscell_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION alscell_audit_append_only()"
        )
    elif dialect == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{what.lower()} BEFORE {what} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {what} refused'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS alscell_audit_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for name in ("web_patient_summary", "record_locks", "web_tokens"):
        op.drop_table(name)
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("reason")
