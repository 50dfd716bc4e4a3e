"""Patient and cohort reports (self-contained HTML; PDF through headless Chromium).

    from alscell.report import cohort_report, patient_report
    cohort_report(tables, "out/cohort.html")
    patient_report(tables, "SIM000017", "out/patient.pdf")

See docs/reports.md.
"""

from alscell.report.cohort import cohort_context, cohort_report
from alscell.report.patient import patient_context, patient_report
from alscell.report.pdf import ChromiumMissing, find_chromium

__all__ = ["ChromiumMissing", "cohort_context", "cohort_report", "find_chromium", "patient_context", "patient_report"]
