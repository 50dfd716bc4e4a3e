"""Initial registry schema: patients, treatments, ALSFRS-R visits, measurements, adverse events, events,
audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("patient_id", sa.String(64), primary_key=True),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("birth_year", sa.Integer()),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("diagnosis_date", sa.Date()),
        sa.Column("onset_site", sa.String(16), nullable=False),
        sa.Column("el_escorial", sa.String(16)),
        sa.Column("riluzole", sa.Boolean()),
        sa.Column("edaravone", sa.Boolean()),
        sa.Column("genetics", sa.Text()),
        sa.Column("cohort", sa.Text()),
        sa.Column("extra", sa.JSON()),
    )
    op.create_table(
        "treatments",
        sa.Column("treatment_id", sa.String(128), primary_key=True),
        sa.Column(
            "patient_id", sa.String(64), sa.ForeignKey("patients.patient_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("cell_source", sa.String(32), nullable=False),
        sa.Column("donor", sa.String(16), nullable=False),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("dose_cells", sa.Float(), nullable=False),
        sa.Column("target_muscles", sa.Text()),
        sa.Column("product", sa.Text()),
        sa.Column("blinded_arm", sa.String(8)),
        sa.Column("extra", sa.JSON()),
    )
    op.create_index("ix_treatments_patient_id", "treatments", ["patient_id"])
    items = [
        sa.Column(q, sa.SmallInteger())
        for q in ("q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12")
    ]
    op.create_table(
        "alsfrs",
        sa.Column(
            "patient_id", sa.String(64), sa.ForeignKey("patients.patient_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("date", sa.Date(), primary_key=True),
        *items,
        sa.Column("extra", sa.JSON()),
    )
    op.create_table(
        "measurements",
        sa.Column(
            "patient_id", sa.String(64), sa.ForeignKey("patients.patient_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("date", sa.Date(), primary_key=True),
        sa.Column("measure", sa.String(32), primary_key=True),
        sa.Column("side", sa.String(8), primary_key=True),
        sa.Column("muscle", sa.String(32), primary_key=True),
        sa.Column("specimen", sa.String(8), primary_key=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("extra", sa.JSON()),
    )
    op.create_table(
        "adverse_events",
        sa.Column("ae_id", sa.String(128), primary_key=True),
        sa.Column(
            "patient_id", sa.String(64), sa.ForeignKey("patients.patient_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("resolved_date", sa.Date()),
        sa.Column("term", sa.String(32), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("treatment_id", sa.String(128), sa.ForeignKey("treatments.treatment_id", ondelete="SET NULL")),
        sa.Column("relatedness", sa.String(16)),
        sa.Column("extra", sa.JSON()),
    )
    op.create_index("ix_adverse_events_patient_id", "adverse_events", ["patient_id"])
    op.create_table(
        "events",
        sa.Column(
            "patient_id", sa.String(64), sa.ForeignKey("patients.patient_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("date", sa.Date(), primary_key=True),
        sa.Column("event", sa.String(32), primary_key=True),
        sa.Column("extra", sa.JSON()),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON()),
        sa.Column("after", sa.JSON()),
        sa.Column("source", sa.Text()),
    )
    op.create_index("ix_audit_table_key", "audit_log", ["table_name", "row_key"])


def downgrade() -> None:
    for name in ("audit_log", "events", "adverse_events", "measurements", "alsfrs", "treatments", "patients"):
        op.drop_table(name)
