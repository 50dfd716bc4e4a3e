"""One row per patient for the web patient list: site, visits, last total, King's stage, ΔFRS (docs/web.md).

The list pages, filters and counts in SQL on this table instead of loading the registry per request.  It is
derived data: ``alscell.web.summary`` rebuilds it whenever the registry changed outside the web app (an
import) and updates one patient's row in the same transaction as a web edit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from alscell.io.columns import MAX_LENGTH
from alscell.store.models import Base


class PatientSummary(Base):
    __tablename__ = "web_patient_summary"
    patient_id: Mapped[str] = mapped_column(
        String(MAX_LENGTH["patient_id"]), ForeignKey("patients.patient_id", ondelete="CASCADE"), primary_key=True
    )
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    site: Mapped[str | None] = mapped_column(String(MAX_LENGTH["site"]), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    onset_site: Mapped[str] = mapped_column(String(16))
    onset_date: Mapped[dt.date] = mapped_column(Date)
    n_visits: Mapped[int] = mapped_column(Integer)
    last_visit: Mapped[dt.date | None] = mapped_column(Date)
    last_total: Mapped[float | None] = mapped_column(Float)
    kings: Mapped[str | None] = mapped_column(String(2), index=True)
    delta_frs: Mapped[float | None] = mapped_column(Float, index=True)


SUMMARY: Table = Base.metadata.tables["web_patient_summary"]
