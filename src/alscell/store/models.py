"""SQLAlchemy 2 models of the registry, one table per canonical file plus the audit trail.

Natural keys from the canonical format are the primary keys, so re-importing a folder maps each row onto
the same stored row (spec/data-format.md, "Rules for import").  Optional qualifiers of a measurement
(side, muscle, specimen) are stored as '' rather than NULL so that they can take part in the unique key
on every database (NULLs are distinct in unique indexes).  ``x_`` columns are kept in a JSON ``extra``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alscell.io.columns import MAX_LENGTH


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "patients"
    patient_id: Mapped[str] = mapped_column(String(MAX_LENGTH["patient_id"]), primary_key=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    onset_date: Mapped[dt.date] = mapped_column(Date)
    diagnosis_date: Mapped[dt.date | None] = mapped_column(Date)
    onset_site: Mapped[str] = mapped_column(String(16))
    el_escorial: Mapped[str | None] = mapped_column(String(16))
    riluzole: Mapped[bool | None] = mapped_column(Boolean)
    edaravone: Mapped[bool | None] = mapped_column(Boolean)
    genetics: Mapped[str | None] = mapped_column(Text)
    cohort: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(MAX_LENGTH["site"]))
    ftd: Mapped[bool | None] = mapped_column(Boolean)  # optional extension (docs/prognosis.md)
    extra: Mapped[dict | None] = mapped_column(JSON)


class Treatment(Base):
    __tablename__ = "treatments"
    treatment_id: Mapped[str] = mapped_column(String(MAX_LENGTH["treatment_id"]), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.patient_id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    cycle: Mapped[int] = mapped_column(Integer)
    cell_source: Mapped[str] = mapped_column(String(32))
    donor: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(16))
    dose_cells: Mapped[float] = mapped_column(Float)
    target_muscles: Mapped[str | None] = mapped_column(Text)
    product: Mapped[str | None] = mapped_column(Text)
    lot: Mapped[str | None] = mapped_column(Text)
    viability_pct: Mapped[float | None] = mapped_column(Float)
    passage: Mapped[int | None] = mapped_column(Integer)
    blinded_arm: Mapped[str | None] = mapped_column(String(8))
    decision_date: Mapped[dt.date | None] = mapped_column(Date)  # extension (docs/data-rules.md), migration 0006
    extra: Mapped[dict | None] = mapped_column(JSON)


class AlsfrsVisit(Base):
    __tablename__ = "alsfrs"
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.patient_id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    q1: Mapped[int | None] = mapped_column(SmallInteger)
    q2: Mapped[int | None] = mapped_column(SmallInteger)
    q3: Mapped[int | None] = mapped_column(SmallInteger)
    q4: Mapped[int | None] = mapped_column(SmallInteger)
    q5a: Mapped[int | None] = mapped_column(SmallInteger)
    q5b: Mapped[int | None] = mapped_column(SmallInteger)
    q6: Mapped[int | None] = mapped_column(SmallInteger)
    q7: Mapped[int | None] = mapped_column(SmallInteger)
    q8: Mapped[int | None] = mapped_column(SmallInteger)
    q9: Mapped[int | None] = mapped_column(SmallInteger)
    q10: Mapped[int | None] = mapped_column(SmallInteger)
    q11: Mapped[int | None] = mapped_column(SmallInteger)
    q12: Mapped[int | None] = mapped_column(SmallInteger)
    assessor: Mapped[str | None] = mapped_column(String(16))  # missing = clinician (spec), never filled in
    visit_type: Mapped[str | None] = mapped_column(String(16))  # extension (docs/data-rules.md), migration 0006
    eligible: Mapped[bool | None] = mapped_column(Boolean)  # extension (docs/data-rules.md), migration 0007
    rater: Mapped[str | None] = mapped_column(String(MAX_LENGTH["rater"]))  # extension, a pseudonym; migration 0008
    extra: Mapped[dict | None] = mapped_column(JSON)


class Measurement(Base):
    __tablename__ = "measurements"
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.patient_id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    side: Mapped[str] = mapped_column(String(8), primary_key=True, default="")
    muscle: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    specimen: Mapped[str] = mapped_column(String(8), primary_key=True, default="")
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    extra: Mapped[dict | None] = mapped_column(JSON)


class AdverseEvent(Base):
    __tablename__ = "adverse_events"
    ae_id: Mapped[str] = mapped_column(String(MAX_LENGTH["ae_id"]), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.patient_id", ondelete="CASCADE"), index=True)
    onset_date: Mapped[dt.date] = mapped_column(Date)
    resolved_date: Mapped[dt.date | None] = mapped_column(Date)
    term: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(SmallInteger)
    serious: Mapped[bool] = mapped_column(Boolean)
    treatment_id: Mapped[str | None] = mapped_column(ForeignKey("treatments.treatment_id", ondelete="SET NULL"))
    relatedness: Mapped[str | None] = mapped_column(String(16))
    extra: Mapped[dict | None] = mapped_column(JSON)


class ClinicalEvent(Base):
    __tablename__ = "events"
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.patient_id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    event: Mapped[str] = mapped_column(String(32), primary_key=True)
    extra: Mapped[dict | None] = mapped_column(JSON)


class AuditEntry(Base):
    """One changed row: who, when, what it was before and what it became (JSON of canonical values)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8))  # insert / update / delete
    table_name: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why (21 CFR 11.10(e)); required for web edits/deletes

    __table_args__ = (Index("ix_audit_table_key", "table_name", "row_key"),)


# File stem of the canonical format -> model, in dependency order.
MODELS = {
    "patients": Patient,
    "treatments": Treatment,
    "alsfrs": AlsfrsVisit,
    "measurements": Measurement,
    "adverse_events": AdverseEvent,
    "events": ClinicalEvent,
}

# Natural key of each table: the columns that identify a row across imports.
# The Core tables of the models (typed as ``Table``, which ``Model.__table__`` is at run time).
SQL_TABLES: dict[str, Table] = {name: Base.metadata.tables[model.__tablename__] for name, model in MODELS.items()}
AUDIT_TABLE: Table = Base.metadata.tables[AuditEntry.__tablename__]

KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in SQL_TABLES[name].primary_key.columns) for name in MODELS
}
