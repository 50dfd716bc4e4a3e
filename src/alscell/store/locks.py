"""Signed and locked records (21 CFR 11.50/11.70 manifestation; docs/web.md, "Sign and lock").

A reviewer signs a record (a visit, a patient, an administration...) by re-entering their password; the
signature (who, server UTC time, meaning) is stored here and in the audit trail, and while it stands the
record cannot be changed or deleted.  Only an admin removes a lock, with a reason (audited too).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from alscell.store.models import Base

SIGNATURE_MEANING = "reviewed and approved"


class RecordLock(Base):
    __tablename__ = "record_locks"
    table_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    signed_by: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    meaning: Mapped[str] = mapped_column(String(64))


LOCKS: Table = Base.metadata.tables["record_locks"]
