"""CDISC SDTM export: the registry as SDTM domains (CSV and SAS XPORT v5) with a define-style listing.

``write_sdtm(tables, folder)`` writes one ``<domain>.csv`` and one ``<domain>.xpt`` per non-empty domain and
``define.csv`` (dataset, variable, label, type, length, origin, core).  Variable names, labels, types and
core designations come from SDTMIG v3.4 (:mod:`alscell.io.sdtm_variables`); docs/export-formats.md gives
the mapping, the controlled terms used and what is not mapped.

Domains: DM (one row per patient), EX (cell administrations), QS (ALSFRS-R items and total; FSS, ALSAQ-40,
ALSAQ-5, CNS-BFS), RE (FVC and SVC % predicted), LB (blood and CSF biomarkers), VS (weight), MK (grip and
dynamometry), NV (MUNIX, CMAP), AE, DS (death, withdrawal, lost to follow-up) and PR (tracheostomy, NIV,
permanent ventilation, gastrostomy), with SUPPDM / SUPPEX / SUPPQS where SDTMIG puts extra qualifiers.  The
canonical extensions (docs/data-rules.md) go where SDTMIG v3.4 puts them: a recorded ``decision_date`` is
SUPPEX ``DECDTC``; recorded visit types give SV (Subject Visits: SVPRESP, SVOCCUR, SVCNTMOD) with the type
itself in SUPPSV ``VISTYPE``; a recorded screening for the therapy (``alsfrs.eligible``) is SUPPSV ``MSCELIG``
(SV is then written even when no visit type is recorded); a recorded rater (``alsfrs.rater``, a pseudonym) is
SUPPQS ``QSRATER`` on the visit's QSGRPID (QSEVALID is not allowed in QS: see :data:`RATER_QUALIFIER`).

Study days (``--DY``) count from RFSTDTC: the first cell administration, or for a patient never treated the
first visit (ALSFRS-R or measurement); day 1 is RFSTDTC itself and there is no day 0 (SDTMIG 4.4.4).
Nothing here adds an identifier: values are the (possibly de-identified) table values, ages over 89 are
never written (AGE is left empty and SUPPDM carries "90+", HIPAA Safe Harbor), and no free text is
invented.  Every CSV goes through :func:`alscell.io.writer.csv_safe`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alscell.domain.alsfrs import ITEM_LABELS, score_items
from alscell.io.deidentify import AGE_90_PLUS, MAX_AGE
from alscell.io.sdtm_variables import DOMAIN_LABELS, variables
from alscell.io.tables import Tables
from alscell.io.writer import csv_safe

STUDY_ID = "ALSCELL"
DEFINE_FILE = "define.csv"
DEFINE_COLUMNS = ("dataset", "variable", "label", "type", "length", "origin", "core")
XPT_MAX_BYTES = 200  # SAS XPORT version 5: a character variable holds at most 200 bytes


class SdtmExportError(ValueError):
    """Data that SDTM files cannot hold as they are (one sentence naming dataset, variable and subject)."""


# CDISC controlled terms (submission values).  ROUTE C66729, LOC C74456, UNIT C71620, FRM C66726 and NY
# C66742 checked against CDISC CT 2025-09-26; DS and SPECTYPE terms are the SDTM CT submission values.
ROUTES = {
    "intrathecal": "INTRATHECAL",  # C38267
    "intravenous": "INTRAVENOUS",  # C38276
    "intramuscular": "INTRAMUSCULAR",  # C28161
    "intraspinal": "INTRASPINAL",  # C38263
}
MUSCLE_LOCATIONS = {
    "deltoid": "DELTOID MUSCLE",  # C32446
    "biceps": "BICEPS BRACHII MUSCLE",  # C32200
    "triceps": "TRICEPS BRACHII MUSCLE",  # C90604
    "wrist_extensors": "WRIST JOINT EXTENSOR MUSCLES",  # C166003
    "first_dorsal_interosseous": "FIRST DORSAL INTEROSSEOUS MUSCLE OF THE HAND",  # C139198
    "abductor_pollicis_brevis": "ABDUCTOR POLLICIS BREVIS MUSCLE",  # C165997
    "iliopsoas": "ILIOPSOAS MUSCLE",  # C32764
    "quadriceps": "QUADRICEPS MUSCLE",  # C33441
    "hamstrings": "HAMSTRING MUSCLE",  # C53042
    "tibialis_anterior": "TIBIALIS ANTERIOR MUSCLE",  # C117874
    "gastrocnemius": "GASTROCNEMIUS MUSCLE",  # C32666
    "tongue": "TONGUE",  # C12422
}
DOSE_UNIT = "10^6 Therapeutic Cells"  # UNIT C187973; EXDOSE is dose_cells / 1e6
DOSE_FORM = "INJECTION, SUSPENSION"  # FRM C42995
CELL_SOURCES = {
    "bone_marrow": "BONE MARROW",
    "adipose": "ADIPOSE TISSUE",
    "umbilical_cord": "UMBILICAL CORD",
    "wharton_jelly": "WHARTON'S JELLY",
    "placenta": "PLACENTA",
    "other": "OTHER",
}
SPECIMENS = {"csf": "CEREBROSPINAL FLUID", "serum": "SERUM", "plasma": "PLASMA"}
SIDES = {"left": "LEFT", "right": "RIGHT"}
# DS: NCOMPLT submission values.  alscell's "withdrawal" does not say who withdrew; the subject is assumed.
DISPOSITIONS = {
    "death": ("DEATH", "DEATH"),
    "withdrawal": ("WITHDRAWAL", "WITHDRAWAL BY SUBJECT"),
    "lost_to_follow_up": ("LOST TO FOLLOW-UP", "LOST TO FOLLOW-UP"),
}
PROCEDURES = {
    "tracheostomy": "TRACHEOSTOMY",
    "niv_start": "NON-INVASIVE VENTILATION",
    "permanent_ventilation": "PERMANENT ASSISTED VENTILATION",
    "gastrostomy": "GASTROSTOMY",
}
# alsfrs.visit_type -> SV (SDTMIG v3.4 Subject Visits).  SVPRESP / SVOCCUR (NY C66742): "Y" for a planned
# visit that occurred, null for an unplanned one; only ``scheduled`` is known to have been planned.
# SVCNTMOD (Mode of Subject Contact, CNTMODE C171445; SV assumption 7: "IN PERSON" for visits to a clinic,
# "TELEPHONE", "REMOTE AUDIO VIDEO" or "IVRS" for remote ones): IN PERSON C175574 for a rating at the clinic,
# at home or on the ward; empty for ``remote``, which may be TELEPHONE CALL (C171537) or REMOTE AUDIO VIDEO
# (C171525) and alscell does not say which.  The visit type itself is SUPPSV QNAM VISTYPE.
PLANNED_VISITS = {"scheduled"}
CONTACT_MODES = {"scheduled": "IN PERSON", "unscheduled": "IN PERSON", "home": "IN PERSON", "inpatient": "IN PERSON"}
VISIT_TYPE_QUALIFIER = ("VISTYPE", "Visit Type")
# alsfrs.eligible -> SUPPSV QNAM MSCELIG, QVAL Y / N (NY C66742), one row per screened visit (IDVAR VISITNUM).
# SDTMIG v3.4 has no standard variable for it: IE (Inclusion/Exclusion Criteria Not Met) holds one record per
# criterion *not met*, named by IETESTCD from TI, at the trial's screening before enrolment; alscell records
# neither the criteria nor which failed, and a screening at every visit is not a trial's entry check.  CDASHIG's
# IEYN ("Were all eligibility criteria met?") is the same yes/no but is "Not Submitted" to SDTM.  The screening
# belongs to the visit, not to any one finding made there, so it qualifies the visit's SV record (SDTMIG 8.4:
# non-standard variables in SUPP--, related to the parent record by IDVAR/IDVARVAL); SV is written whenever
# eligibility is recorded, even with no visit types, so the qualifier always has its parent record.
ELIGIBILITY_QUALIFIER = ("MSCELIG", "Eligible for MSC Therapy at This Visit")
# alsfrs.assessor -> SUPPQS QNAM QSASSESS, one row per ALSFRS-R visit with an assessor (IDVAR QSGRPID).
ASSESSOR_QUALIFIER = ("QSASSESS", "Who Rated the ALSFRS-R")
# alsfrs.rater (the clinic's pseudonym for the person who rated the visit) -> SUPPQS QNAM QSRATER, QVAL the
# pseudonym as recorded, one row per ALSFRS-R visit with a rater (IDVAR QSGRPID: every item and the total of that
# visit), QORIG Collected, QEVAL empty (who rated is collected, not a subjective attribution).  Not QSEVAL /
# QSEVALID: SDTM v2.0, the model SDTMIG v3.4 implements, restricts --EVAL and --EVALID (Findings, "Evaluator",
# "Evaluator Identifier: used to distinguish multiple evaluators with the same role recorded in --EVAL") with
# "Not in QS, FT, and clinical classifications use case of RS", and SDTMIG v3.4 section 2.5 lets a Qualifier
# of the class be added to a domain "except where restricted"; a value no standard variable may hold goes to
# SUPP-- (section 8.4), beside the assessor's QSASSESS.
RATER_QUALIFIER = ("QSRATER", "Rater Identifier (Pseudonym)")
# treatments.decision_date -> SUPPEX (SDTMIG 8.4: a non-standard qualifier of the EX record), ISO 8601.
DECISION_QUALIFIER = ("DECDTC", "Date of Decision to Treat")
RELATEDNESS = {
    "unrelated": "NOT RELATED",
    "unlikely": "UNLIKELY RELATED",
    "possible": "POSSIBLY RELATED",
    "probable": "PROBABLY RELATED",
    "definite": "RELATED",
}
# ALSFRS-R in QS: sponsor-defined test codes (CDISC QRS terminology for the ALSFRS-R was not available to
# check; see docs/export-formats.md).  QSTEST is the item name of Cedarbaum et al. 1999 (QSCAT names the
# instrument), shortened where needed to SDTM's 40 characters.
ALSFRS_CATEGORY = "ALSFRS-R"
ALSFRS_TESTS = {
    "q1": "ALSFRS01",
    "q2": "ALSFRS02",
    "q3": "ALSFRS03",
    "q4": "ALSFRS04",
    "q5a": "ALSFRS5A",
    "q5b": "ALSFRS5B",
    "q6": "ALSFRS06",
    "q7": "ALSFRS07",
    "q8": "ALSFRS08",
    "q9": "ALSFRS09",
    "q10": "ALSFRS10",
    "q11": "ALSFRS11",
    "q12": "ALSFRS12",
}
ALSFRS_TOTAL = ("ALSFRSTT", "ALSFRS-R Total Score")
_QS_NAMES = {
    "q5a": "Cutting Food (Without Gastrostomy)",
    "q5b": "Cutting Food (With Gastrostomy)",
    "q7": "Turning in Bed, Adjusting Bed Clothes",
}
# measurement key -> (domain, --TESTCD, --TEST, QSCAT for questionnaires)
MEASUREMENT_TESTS: dict[str, tuple[str, str, str, str | None]] = {
    "fvc_pct_pred": ("RE", "FVCPP", "Forced Vital Capacity, % Predicted", None),
    "svc_pct_pred": ("RE", "SVCPP", "Slow Vital Capacity, % Predicted", None),
    "grip_kg": ("MK", "GRIPSTR", "Grip Strength", None),
    "hhd_kg": ("MK", "HHDSTR", "Hand-Held Dynamometry Strength", None),
    "fss": ("QS", "FSSMEAN", "Fatigue Severity Scale Mean Score", "FSS"),
    "alsaq40": ("QS", "ALSAQ40", "ALSAQ-40 Index", "ALSAQ-40"),
    "alsaq5": ("QS", "ALSAQ5", "ALSAQ-5 Index", "ALSAQ-5"),
    "cnsbfs": ("QS", "CNSBFS", "CNS Bulbar Function Scale Total Score", "CNS-BFS"),
    "weight_kg": ("VS", "WEIGHT", "Weight", None),
    "nfl": ("LB", "NFL", "Neurofilament Light Chain", None),
    "mcp1": ("LB", "MCP1", "Monocyte Chemoattractant Protein 1", None),
    "il6": ("LB", "IL6", "Interleukin 6", None),
    "tnfa": ("LB", "TNFA", "Tumor Necrosis Factor Alpha", None),
    "chi3l1": ("LB", "CHI3L1", "Chitinase-3-Like Protein 1", None),
    "munix": ("NV", "MUNIX", "Motor Unit Number Index", None),
    "cmap_mv": ("NV", "CMAPAMP", "Compound Muscle Action Potential Amp", None),
}
LB_CATEGORY = "BIOMARKER"
UNITLESS = {"", "score", "index"}  # alscell unit strings that are not units of measure

# define.csv origins (Define-XML 2.1 origin types); every other variable is "Collected".
_ASSIGNED = {"STUDYID", "DOMAIN", "RDOMAIN", "QNAM", "QLABEL", "QORIG", "QEVAL", "IDVAR", "AGEU", "EXDOSU"}
_ASSIGNED |= {"EXDOSFRM", "EXDOSFRQ", "QSCAT", "LBCAT", "DSCAT"}
_DERIVED_SUFFIXES = ("SEQ", "DY", "LOBXFL", "STRESC", "STRESN", "STRESU", "DRVFL", "TESTCD", "TEST")


def _origin(name: str) -> str:
    if name in _ASSIGNED:
        return "Assigned"
    if name in {"USUBJID", "AGE", "DTHFL", "VISITNUM", "IDVARVAL", "ARMNRS"} or name.startswith("RF"):
        return "Derived"
    if name in {"SVPRESP", "SVOCCUR", "SVCNTMOD"}:  # mapped from the collected visit type
        return "Derived"
    if name.startswith(("ARM", "ACTARM", "QSGRPID")) or name.endswith(_DERIVED_SUFFIXES):
        return "Derived"
    return "Collected"


def _only(mask: Any, value: Any, otherwise: Any = None) -> np.ndarray:
    """``value`` (a scalar or an array) where ``mask`` holds, else ``otherwise``: an object array for Char."""
    keep = np.asarray(mask, dtype=bool)
    out = np.empty(len(keep), dtype=object)
    out[:] = otherwise if np.ndim(otherwise) == 0 else np.asarray(otherwise, dtype=object)
    chosen = np.asarray(value, dtype=object)
    out[keep] = chosen[keep] if chosen.ndim else value
    return out


def _iso(dates: pd.Series) -> pd.Series:
    """ISO 8601 dates as text (None where missing)."""
    text = pd.to_datetime(dates).dt.strftime("%Y-%m-%d")
    return text.astype(object).where(dates.notna(), None)


def _study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTM study day of ``dates`` against ``reference``: day 1 is the reference date, no day 0."""
    days = (pd.to_datetime(dates) - pd.to_datetime(reference)).dt.days.astype("float64")
    return days.where(days < 0, days + 1)


def _upper(series: pd.Series, mapping: Mapping[str, str] | None = None) -> pd.Series:
    if mapping is not None:
        return series.map(lambda v: mapping.get(v) if isinstance(v, str) else None).astype(object)
    return series.map(lambda v: v.upper() if isinstance(v, str) else None).astype(object)


class _Subjects:
    """Per-patient reference data shared by every domain: USUBJID and the reference start date."""

    def __init__(self, tables: Tables, study_id: str) -> None:
        self.study_id = study_id
        patients = tables.patients
        ids = patients["patient_id"].astype(str)
        self.usubjid = pd.Series((study_id + "-" + ids).to_numpy(), index=ids.to_numpy())
        tr = tables.treatments
        self.first_dose = tr.groupby("patient_id")["date"].min()
        self.last_dose = tr.groupby("patient_id")["date"].max()
        visits = pd.concat([tables.alsfrs[["patient_id", "date"]], tables.measurements[["patient_id", "date"]]])
        self.first_visit = visits.groupby("patient_id")["date"].min()
        dated = [visits, tr[["patient_id", "date"]], tables.events[["patient_id", "date"]]]
        ae = tables.adverse_events
        dated.append(ae[["patient_id", "onset_date"]].rename(columns={"onset_date": "date"}))
        dated.append(ae[["patient_id", "resolved_date"]].rename(columns={"resolved_date": "date"}))
        self.last_date = pd.concat(dated).groupby("patient_id")["date"].max()
        ref = self.first_dose.reindex(ids)
        self.rfstdtc = ref.where(ref.notna(), self.first_visit.reindex(ids))
        # Visit numbers: each patient's distinct assessment dates in order (unscheduled visits).
        days = visits.dropna().drop_duplicates().sort_values(["patient_id", "date"])
        days["VISITNUM"] = days.groupby("patient_id").cumcount().astype("float64") + 1
        self.visits = days

    def frame(self, patient_id: pd.Series, domain: str | None = None) -> pd.DataFrame:
        """STUDYID, DOMAIN and USUBJID columns for rows of ``patient_id``."""
        out = pd.DataFrame(index=patient_id.index)
        out["STUDYID"] = self.study_id
        if domain is not None:
            out["DOMAIN"] = domain
        out["USUBJID"] = patient_id.map(self.usubjid).astype(object)
        return out

    def day(self, patient_id: pd.Series, dates: pd.Series) -> pd.Series:
        return _study_day(dates, patient_id.map(self.rfstdtc))

    def visitnum(self, patient_id: pd.Series, dates: pd.Series) -> pd.Series:
        keys = pd.DataFrame({"patient_id": patient_id.to_numpy(), "date": dates.to_numpy()})
        merged = keys.merge(self.visits, on=["patient_id", "date"], how="left")
        return pd.Series(merged["VISITNUM"].to_numpy(), index=patient_id.index)


def _finish(domain: str, frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """``frame`` with every variable of ``domain`` in SDTMIG order, sorted, with --SEQ numbered per subject."""
    prefix = domain if not domain.startswith("SUPP") else ""
    frame = frame.sort_values(["USUBJID", *order], kind="stable", na_position="last").reset_index(drop=True)
    if prefix:
        frame[prefix + "SEQ"] = frame.groupby("USUBJID").cumcount().astype("float64") + 1
    out = pd.DataFrame(index=frame.index)
    for var in variables(domain):
        if var.name in frame.columns:
            out[var.name] = frame[var.name]
        else:
            out[var.name] = np.nan if var.type == "Num" else None
    return out


def _demographics(tables: Tables, subj: _Subjects, country: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = tables.patients
    ids = p["patient_id"].astype(str)
    dm = subj.frame(ids, "DM")
    dm["SUBJID"] = ids.to_numpy()
    dm["RFSTDTC"] = _iso(ids.map(subj.rfstdtc))
    dm["RFENDTC"] = _iso(ids.map(subj.last_date))
    dm["RFXSTDTC"] = _iso(ids.map(subj.first_dose))
    dm["RFXENDTC"] = _iso(ids.map(subj.last_dose))
    dm["RFPENDTC"] = dm["RFENDTC"]
    ev = tables.events
    death = ev[ev["event"] == "death"].groupby("patient_id")["date"].min()
    dm["DTHDTC"] = _iso(ids.map(death))
    dm["DTHFL"] = _only(ids.map(death).notna(), "Y")
    dm["SITEID"] = p["site"].to_numpy()
    # Age in whole years at RFSTDTC from the birth year alone (alscell keeps no birth date): it can be one
    # year above the true age.  Ages over 89 are never written (HIPAA Safe Harbor): SUPPDM says "90+".
    age = pd.to_datetime(ids.map(subj.rfstdtc)).dt.year.astype("float64") - p["birth_year"].astype("float64")
    flagged = p[AGE_90_PLUS].eq("true").to_numpy() if AGE_90_PLUS in p.columns else np.zeros(len(p), bool)
    over = flagged | (age > MAX_AGE).to_numpy()
    dm["AGE"] = age.where(~over).to_numpy()
    dm["AGEU"] = _only(dm["AGE"].notna().to_numpy() | over, "YEARS")
    dm["SEX"] = p["sex"].to_numpy()
    dm["COUNTRY"] = country  # ISO 3166-1 alpha-3; alscell does not record it per patient
    treated = ids.map(subj.first_dose).notna().to_numpy(dtype=bool)
    tr = tables.treatments
    active = tr[tr["blinded_arm"].ne("placebo") | tr["blinded_arm"].isna()]["patient_id"].unique()
    arm_cd = np.where(ids.isin(active), "MSC", "PLACEBO")
    arm = np.where(ids.isin(active), "Mesenchymal Stem Cells", "Placebo")
    for code, name in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
        dm[code] = _only(treated, arm_cd)
        dm[name] = _only(treated, arm)
    # A registry patient never treated had no arm to be assigned (SDTMIG 3.4 ARMNRS).
    dm["ARMNRS"] = _only(~treated, "NOT ASSIGNED")
    dm = _finish("DM", dm, [])
    supp = dm.loc[over, ["STUDYID", "USUBJID"]].copy()
    supp["RDOMAIN"] = "DM"
    supp["QNAM"] = "AGECAT"
    supp["QLABEL"] = "Age Category (Top-Coded)"
    supp["QVAL"] = "90+"
    supp["QORIG"] = "Derived"
    return dm, _finish("SUPPDM", supp, [])


def _exposure(tables: Tables, subj: _Subjects) -> tuple[pd.DataFrame, pd.DataFrame]:
    tr = tables.treatments
    ids = tr["patient_id"].astype(str)
    ex = subj.frame(ids, "EX")
    placebo = tr["blinded_arm"].eq("placebo").fillna(False).to_numpy(dtype=bool)
    name = tr["product"].map(lambda v: v.upper() if isinstance(v, str) else "MESENCHYMAL STEM CELLS")
    ex["EXSPID"] = tr["treatment_id"].to_numpy()
    ex["EXTRT"] = np.where(placebo, "PLACEBO", name.to_numpy(dtype=object))
    ex["EXCAT"] = _upper(tr["cell_source"], CELL_SOURCES).to_numpy()
    ex["EXSCAT"] = _upper(tr["donor"]).to_numpy()
    ex["EXDOSE"] = np.where(placebo, 0.0, tr["dose_cells"].to_numpy(dtype=float) / 1e6)
    ex["EXDOSU"] = DOSE_UNIT
    ex["EXDOSFRM"] = DOSE_FORM
    ex["EXDOSFRQ"] = "ONCE"
    ex["EXROUTE"] = _upper(tr["route"], ROUTES).to_numpy()
    ex["EXLOT"] = tr["lot"].to_numpy()
    muscles = tr["target_muscles"].map(
        lambda v: [m.strip() for m in v.split(";") if m.strip()] if isinstance(v, str) else []
    )
    # One muscle: EXLOC.  Several: EXLOC = MULTIPLE and EXLOC1..n in SUPPEX (SDTMIG 4.2.8.3).
    ex["EXLOC"] = [(MUSCLE_LOCATIONS.get(m[0]) if len(m) == 1 else "MULTIPLE") if m else None for m in muscles.tolist()]
    ex["EXSTDTC"] = _iso(tr["date"])
    ex["EXENDTC"] = ex["EXSTDTC"]
    ex["EXSTDY"] = subj.day(ids, tr["date"])
    ex["EXENDY"] = ex["EXSTDY"]
    ex["_muscles"] = muscles
    ex["_decision"] = _iso(tr["decision_date"]).to_numpy()
    ex = ex.sort_values(["USUBJID", "EXSTDTC", "EXSPID"], kind="stable").reset_index(drop=True)
    ex["EXSEQ"] = ex.groupby("USUBJID").cumcount().astype("float64") + 1
    several = ex[ex["_muscles"].map(len) > 1]
    supp = several[["STUDYID", "USUBJID", "EXSEQ", "_muscles"]].explode("_muscles")
    supp["n"] = supp.groupby(level=0).cumcount() + 1
    supp["RDOMAIN"] = "EX"
    supp["IDVAR"] = "EXSEQ"
    supp["IDVARVAL"] = supp["EXSEQ"].map(lambda v: str(int(v)))
    supp["QNAM"] = "EXLOC" + supp["n"].astype(str)
    supp["QLABEL"] = "Location of Dose Administration " + supp["n"].astype(str)
    supp["QVAL"] = supp["_muscles"].map(MUSCLE_LOCATIONS)
    supp["QORIG"] = "Collected"
    # The day the decision to give this administration was taken (treatments.decision_date), when recorded.
    decided = ex.loc[ex["_decision"].notna(), ["STUDYID", "USUBJID", "EXSEQ", "_decision"]]
    decisions = pd.DataFrame(
        {
            "STUDYID": decided["STUDYID"],
            "USUBJID": decided["USUBJID"],
            "RDOMAIN": "EX",
            "IDVAR": "EXSEQ",
            "IDVARVAL": decided["EXSEQ"].map(lambda v: str(int(v))),
            "QNAM": DECISION_QUALIFIER[0],
            "QLABEL": DECISION_QUALIFIER[1],
            "QVAL": decided["_decision"],
            "QORIG": "Collected",
        }
    )
    parts = [frame for frame in (supp, decisions) if len(frame)]
    supp = pd.concat(parts, ignore_index=True) if parts else supp.reset_index(drop=True)
    return _finish("EX", ex, ["EXSEQ"]), _finish("SUPPEX", supp, ["IDVARVAL", "QNAM"])


def _findings(domain: str, rows: pd.DataFrame, subj: _Subjects) -> pd.DataFrame:
    """A findings domain from long rows: patient_id, date, TESTCD, TEST, ORRES, ORRESU, STRESN and optional
    CAT, LOC, LAT, SPEC, GRPID, DRVFL (names without the domain prefix)."""
    ids = rows["patient_id"].astype(str)
    out = subj.frame(ids, domain)
    d = domain
    for col in ("TESTCD", "TEST", "CAT", "ORRES", "ORRESU", "LOC", "LAT", "SPEC", "GRPID", "DRVFL"):
        if col in rows.columns:
            out[d + col] = rows[col].to_numpy()
    out[d + "STRESC"] = rows["ORRES"].to_numpy()
    out[d + "STRESN"] = rows["STRESN"].to_numpy(dtype=float)
    out[d + "STRESU"] = rows["ORRESU"].to_numpy()
    out[d + "DTC"] = _iso(rows["date"]).to_numpy()
    out[d + "DY"] = subj.day(ids, rows["date"]).to_numpy()
    out["VISITNUM"] = subj.visitnum(ids, rows["date"]).to_numpy()
    # --LOBXFL: the last non-missing result on or before the first administration, per test (and
    # location, side, specimen).  Date-only data: a same-day assessment counts as before the dose.
    key = ["USUBJID", d + "TESTCD", *[d + c for c in ("LOC", "LAT", "SPEC") if d + c in out.columns]]
    ref = ids.map(subj.first_dose).to_numpy()
    when = pd.to_datetime(rows["date"]).to_numpy()
    eligible = pd.notna(ref) & (when <= ref) & out[d + "STRESN"].notna().to_numpy()
    flag = np.full(len(out), None, dtype=object)
    if eligible.any():
        cand = out.loc[eligible, key].fillna("").assign(_when=when[eligible])
        last = cand.sort_values("_when", kind="stable").groupby(key, sort=False).tail(1).index
        flag[out.index.get_indexer(last)] = "Y"
    out[d + "LOBXFL"] = flag
    return _finish(
        domain, out, [d + "DTC", d + "TESTCD", d + "GRPID"] if d + "GRPID" in out else [d + "DTC", d + "TESTCD"]
    )


def _number_text(values: pd.Series) -> pd.Series:
    """Numbers as text: whole numbers without a decimal point, others in Python's shortest repr; '' if missing."""
    codes, uniques = pd.factorize(values.astype("float64"), use_na_sentinel=True)
    shown = np.array(
        [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in uniques.tolist()] + [""], dtype=object
    )
    return pd.Series(shown[codes], index=values.index, dtype=object)  # code -1 (missing) picks the last: ''


def _qualifier_rows(
    rows: pd.DataFrame, idvar: str, idvarval: pd.Series, qualifier: tuple[str, str], values: pd.Series
) -> pd.DataFrame:
    """A SUPP-- dataset's rows of one qualifier (``qualifier``: QNAM, QLABEL) for ``rows`` (``patient_id``), each
    tied to its parent record by ``idvar`` = ``idvarval``; collected values."""
    return pd.DataFrame(
        {
            "patient_id": rows["patient_id"].astype(str),
            "IDVAR": idvar,
            "IDVARVAL": idvarval,
            "QNAM": qualifier[0],
            "QLABEL": qualifier[1],
            "QVAL": values,
            "QORIG": "Collected",
        }
    )


def _alsfrs_rows(tables: Tables, subj: _Subjects) -> tuple[pd.DataFrame, pd.DataFrame]:
    a = tables.alsfrs.reset_index(drop=True)
    a = a.assign(_total=score_items(a)["total"], VISITNUM=subj.visitnum(a["patient_id"].astype(str), a["date"]))
    a["GRPID"] = "ALSFRS-R V" + _number_text(a["VISITNUM"])
    parts = []
    for col, code in [*ALSFRS_TESTS.items(), ("_total", ALSFRS_TOTAL[0])]:
        present = a[a[col].notna()]
        test = ALSFRS_TOTAL[1] if col == "_total" else _QS_NAMES.get(col, ITEM_LABELS[col])
        parts.append(
            pd.DataFrame(
                {
                    "patient_id": present["patient_id"],
                    "date": present["date"],
                    "TESTCD": code,
                    "TEST": test,
                    "CAT": ALSFRS_CATEGORY,
                    "ORRES": _number_text(present[col].astype("float64")),
                    "ORRESU": None,
                    "STRESN": present[col].astype("float64"),
                    "GRPID": present["GRPID"],
                    "DRVFL": "Y" if col == "_total" else None,
                }
            )
        )
    rated, by = a[a["assessor"].notna()], a[a["rater"].notna()]
    supps = [
        _qualifier_rows(rows, "QSGRPID", rows["GRPID"], qualifier, values)
        for rows, qualifier, values in (
            (rated, ASSESSOR_QUALIFIER, _upper(rated["assessor"])),
            (by, RATER_QUALIFIER, by["rater"].astype(object)),
        )
    ]
    supp = pd.concat([frame for frame in supps if len(frame)] or supps[:1], ignore_index=True)
    return pd.concat(parts, ignore_index=True), supp


def _measurement_rows(tables: Tables) -> dict[str, pd.DataFrame]:
    m = tables.measurements
    known = m[m["measure"].isin(list(MEASUREMENT_TESTS))]
    spec = known["measure"].map(MEASUREMENT_TESTS)
    unit = known["unit"].map(lambda u: None if not isinstance(u, str) or u in UNITLESS else u)
    rows = pd.DataFrame(
        {
            "patient_id": known["patient_id"],
            "date": known["date"],
            "domain": spec.map(lambda s: s[0]),
            "TESTCD": spec.map(lambda s: s[1]),
            "TEST": spec.map(lambda s: s[2]),
            "CAT": spec.map(lambda s: s[3] if s[3] else (LB_CATEGORY if s[0] == "LB" else None)),
            "ORRES": _number_text(known["value"]),
            "ORRESU": unit,
            "STRESN": known["value"].astype("float64"),
            "LOC": _upper(known["muscle"], MUSCLE_LOCATIONS),
            "LAT": _upper(known["side"], SIDES),
            "SPEC": _upper(known["specimen"], SPECIMENS),
        }
    )
    return {d: g.drop(columns="domain").reset_index(drop=True) for d, g in rows.groupby("domain", sort=False)}


def _adverse_events(tables: Tables, subj: _Subjects) -> pd.DataFrame:
    ae = tables.adverse_events
    ids = ae["patient_id"].astype(str)
    out = subj.frame(ids, "AE")
    term = ae["term"].map(lambda v: v.replace("_", " ").upper() if isinstance(v, str) else None)
    out["AESPID"] = ae["ae_id"].to_numpy()
    out["AETERM"] = term.to_numpy()
    out["AEDECOD"] = term.to_numpy()  # alscell's preferred term; not MedDRA-coded (docs/export-formats.md)
    out["AESER"] = ae["serious"].map(lambda v: None if pd.isna(v) else ("Y" if v else "N")).to_numpy()
    out["AEREL"] = _upper(ae["relatedness"], RELATEDNESS).to_numpy()
    grade = ae["grade"].astype("float64")
    out["AETOXGR"] = _number_text(grade).replace("", None).to_numpy()
    out["AESDTH"] = _only(grade.eq(5), "Y")
    out["AEOUT"] = _only(grade.eq(5), "FATAL", _only(ae["resolved_date"].notna(), "RECOVERED/RESOLVED"))
    out["AESTDTC"] = _iso(ae["onset_date"]).to_numpy()
    out["AEENDTC"] = _iso(ae["resolved_date"]).to_numpy()
    out["AESTDY"] = subj.day(ids, ae["onset_date"]).to_numpy()
    out["AEENDY"] = subj.day(ids, ae["resolved_date"]).to_numpy()
    return _finish("AE", out, ["AESTDTC", "AESPID"])


def _events(tables: Tables, subj: _Subjects, kinds: Mapping[str, object], domain: str) -> pd.DataFrame:
    ev = tables.events[tables.events["event"].isin(list(kinds))]
    ids = ev["patient_id"].astype(str)
    out = subj.frame(ids, domain)
    if domain == "DS":
        out["DSTERM"] = ev["event"].map(lambda e: DISPOSITIONS[e][0]).to_numpy()
        out["DSDECOD"] = ev["event"].map(lambda e: DISPOSITIONS[e][1]).to_numpy()
        out["DSCAT"] = "DISPOSITION EVENT"
        out["DSSTDTC"] = _iso(ev["date"]).to_numpy()
        out["DSSTDY"] = subj.day(ids, ev["date"]).to_numpy()
        return _finish("DS", out, ["DSSTDTC", "DSDECOD"])
    out["PRTRT"] = ev["event"].map(PROCEDURES).to_numpy()
    out["PRSTDTC"] = _iso(ev["date"]).to_numpy()
    out["PRSTDY"] = subj.day(ids, ev["date"]).to_numpy()
    return _finish("PR", out, ["PRSTDTC", "PRTRT"])


def _subject_visits(tables: Tables, subj: _Subjects) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SV and its SUPPSV rows when the registry records visit types or the screening for the therapy
    (``alsfrs.visit_type``, ``alsfrs.eligible``); empty otherwise, so a registry with neither exports as it did
    before the extensions.

    SV has one record per visit (each VISITNUM: a patient's assessment date); a visit without a recorded
    type (e.g. measurements only, or every visit when only eligibility is recorded) has SVPRESP, SVOCCUR and
    SVCNTMOD empty.  VISITNUM stays the date order
    used by every findings domain: alscell has no visit schedule to number planned visits by, so unplanned
    visits are not given decimal numbers (SDTMIG 4.4.5 makes that numbering optional), and VISIT (Perm,
    the protocol-defined visit name) is not written.  SVSTDTC = SVENDTC = the assessment date.  SUPPSV holds
    VISTYPE for each typed visit and MSCELIG (Y / N) for each screened one."""
    a = tables.alsfrs
    recorded = a[a["visit_type"].notna() | a["eligible"].notna()]
    if recorded.empty:
        return pd.DataFrame(), pd.DataFrame()
    visits = subj.visits.merge(
        recorded[["patient_id", "date", "visit_type", "eligible"]], on=["patient_id", "date"], how="left"
    ).reset_index(drop=True)
    ids = visits["patient_id"].astype(str)
    kind = visits["visit_type"]
    planned = kind.isin(list(PLANNED_VISITS)).to_numpy()
    sv = subj.frame(ids, "SV")
    sv["VISITNUM"] = visits["VISITNUM"].to_numpy()
    sv["SVPRESP"] = _only(planned, "Y")
    sv["SVOCCUR"] = _only(planned, "Y")
    sv["SVCNTMOD"] = _upper(kind, CONTACT_MODES).to_numpy()
    sv["SVSTDTC"] = _iso(visits["date"]).to_numpy()
    sv["SVENDTC"] = sv["SVSTDTC"]
    sv["SVSTDY"] = subj.day(ids, visits["date"]).to_numpy()
    sv["SVENDY"] = sv["SVSTDY"]
    known = visits[kind.notna()]
    screened = visits[visits["eligible"].notna()]
    parts = [
        _qualifier_rows(rows, "VISITNUM", _number_text(rows["VISITNUM"]), qualifier, values)
        for rows, qualifier, values in (
            (known, VISIT_TYPE_QUALIFIER, _upper(known["visit_type"])),
            (screened, ELIGIBILITY_QUALIFIER, screened["eligible"].map({True: "Y", False: "N"}).astype(object)),
        )
    ]
    supp = pd.concat([part for part in parts if len(part)], ignore_index=True)
    return _finish("SV", sv, ["VISITNUM"]), _supp_for("SV", supp, subj)


def _supp_for(rdomain: str, rows: pd.DataFrame, subj: _Subjects) -> pd.DataFrame:
    ids = rows["patient_id"].astype(str)
    out = subj.frame(ids)
    out["RDOMAIN"] = rdomain
    for col in ("IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG"):
        out[col] = rows[col].to_numpy()
    return _finish("SUPP" + rdomain, out, ["IDVARVAL", "QNAM"])


def sdtm_domains(
    tables: Mapping[str, pd.DataFrame], study_id: str = STUDY_ID, country: str | None = None
) -> dict[str, pd.DataFrame]:
    """Every SDTM dataset alscell makes from ``tables``, by name (DM always; the others when they have rows).

    ``country`` (ISO 3166-1 alpha-3) fills DM.COUNTRY for every subject; alscell keeps no country, so it is
    empty unless given.  Char variables hold ``str`` or ``None``, Num variables ``float`` (NaN = missing)."""
    typed = tables if isinstance(tables, Tables) else Tables.from_frames(tables)
    subj = _Subjects(typed, study_id)
    dm, suppdm = _demographics(typed, subj, country)
    ex, suppex = _exposure(typed, subj)
    out: dict[str, pd.DataFrame] = {"DM": dm, "SUPPDM": suppdm, "EX": ex, "SUPPEX": suppex}
    frs, suppqs = _alsfrs_rows(typed, subj)
    by_domain = _measurement_rows(typed)
    qs = pd.concat([frs, by_domain.pop("QS", frs.iloc[:0])], ignore_index=True)
    out["QS"] = _findings("QS", qs, subj)
    out["SUPPQS"] = _supp_for("QS", suppqs, subj)
    for domain in ("RE", "LB", "VS", "MK", "NV"):
        if domain in by_domain:
            out[domain] = _findings(domain, by_domain[domain], subj)
    out["AE"] = _adverse_events(typed, subj)
    out["DS"] = _events(typed, subj, DISPOSITIONS, "DS")
    out["PR"] = _events(typed, subj, PROCEDURES, "PR")
    out["SV"], out["SUPPSV"] = _subject_visits(typed, subj)
    return {name: frame for name, frame in out.items() if name == "DM" or len(frame)}


def _as_text(frame: pd.DataFrame, domain: str) -> pd.DataFrame:
    """All cells as CSV text: Char as is ('' for missing), Num as integers where whole, else shortest repr."""
    out = pd.DataFrame(index=frame.index)
    for var in variables(domain):
        col = frame[var.name]
        if var.type == "Num":
            out[var.name] = _number_text(col.astype("float64"))
        else:
            out[var.name] = col.astype(object).where(col.notna(), "").astype(str).astype(object)
    return out


def _define_rows(domain: str, text: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for var in variables(domain):
        # XPT lengths are in bytes: the longest UTF-8 encoding among the column's distinct values.
        values = set(text[var.name].tolist())
        length = 8 if var.type == "Num" else max([1, *(len(v.encode("utf-8")) for v in values)])
        rows.append(
            {
                "dataset": domain,
                "variable": var.name,
                "label": var.label,
                "type": var.type,
                "length": length,
                # Define-XML 2.1 "Not Available": a variable SDTMIG expects that alscell does not record.
                "origin": _origin(var.name) if (text[var.name] != "").any() else "Not Available",
                "core": var.core,
            }
        )
    return rows


def _check_xpt_lengths(name: str, text: pd.DataFrame, char: list[str]) -> None:
    for col in char:
        size = text[col].map(lambda v: len(v.encode("utf-8")))
        if len(size) and size.max() > XPT_MAX_BYTES:
            row = int(size.to_numpy().argmax())
            raise SdtmExportError(
                f"{name}.{col} of {text['USUBJID'].iloc[row]} holds {int(size.max())} bytes, more than the "
                f"{XPT_MAX_BYTES} a SAS XPORT v5 file allows; shorten the source value"
            )


def write_sdtm(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    study_id: str = STUDY_ID,
    country: str | None = None,
    xpt: bool = True,
) -> dict[str, int]:
    """Write the SDTM datasets of ``tables`` to ``out_dir`` (``<dataset>.csv``, ``<dataset>.xpt`` when
    ``xpt``, and ``define.csv``); returns the number of rows written per dataset."""
    import pyreadstat

    datasets = [(name, frame, _as_text(frame, name)) for name, frame in sdtm_domains(tables, study_id, country).items()]
    if xpt:  # every check before the first file, so a refused export writes nothing
        for name, _, text in datasets:
            _check_xpt_lengths(name, text, [v.name for v in variables(name) if v.type == "Char"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    define: list[dict[str, object]] = []
    for name, frame, text in datasets:
        char = [v.name for v in variables(name) if v.type == "Char"]
        csv_safe(text, char).to_csv(out / f"{name.lower()}.csv", index=False, lineterminator="\n")
        if xpt:
            data = text[char].copy()
            for var in variables(name):
                if var.type == "Num":
                    data[var.name] = frame[var.name].astype("float64")
            data = data[[v.name for v in variables(name)]]
            label = DOMAIN_LABELS.get(name, f"Supplemental Qualifiers for {name[4:]}")
            pyreadstat.write_xport(
                data,
                str(out / f"{name.lower()}.xpt"),
                file_label=label,
                column_labels={v.name: v.label for v in variables(name)},
                table_name=name,
                file_format_version=5,
            )
        define.extend(_define_rows(name, text))
        written[name] = len(frame)
    pd.DataFrame(define, columns=list(DEFINE_COLUMNS)).pipe(csv_safe, ["dataset", "variable", "label"]).to_csv(
        out / DEFINE_FILE, index=False, lineterminator="\n"
    )
    return written


__all__ = ["STUDY_ID", "SdtmExportError", "sdtm_domains", "write_sdtm"]
