"""FHIR R4 export: the registry as one Bundle (type ``collection``) of validated resources.

``fhir_bundle(tables)`` builds, and ``write_fhir(tables, folder)`` writes as ``bundle.json``:

* ``Patient`` per patient — gender, birth year (left out for anyone 90 or older, HIPAA Safe Harbor),
  ``deceasedDateTime`` from a death event; no names, no address;
* ``Condition`` per patient — ALS (SNOMED CT 86044005) with the onset date;
* ``MedicationAdministration`` per cell administration — route (SNOMED CT route codes), injected muscles,
  dose in cells (UCUM ``{cells}``), lot in a contained ``Medication`` when the registry holds one; with a
  recorded ``decision_date``, a ``MedicationRequest`` (``authoredOn`` = the decision) that the
  administration names as its ``request``;
* ``Observation`` per ALSFRS-R visit (LOINC 82953-1 *Total score [ALSFRS-R]*, items as components) and per
  measurement (LOINC 19872-1 for FVC % predicted, 29463-7 for body weight; alscell codes otherwise); with a
  recorded ``visit_type``, an ``Encounter`` per visit (``class`` from HL7 v3 ActEncounterCode, ``type`` the
  alscell visit type) that the ALSFRS-R Observation names as its ``encounter``; with a recorded ``eligible``
  (the clinic's screening for the MSC therapy at that visit), an ``Observation`` with ``valueBoolean``; with a
  recorded ``rater`` (the clinic's pseudonym for who rated the visit), a ``Practitioner`` per rater (an
  ``identifier``, no name) that the ALSFRS-R Observation names as its ``performer``;
* ``AdverseEvent`` per adverse event, with seriousness, severity, CTCAE grade, outcome and the suspected
  administration; ``Procedure`` for tracheostomy, NIV, permanent ventilation and gastrostomy.

Every resource is validated with ``fhir.resources.R4B`` (the R4-compatible model release of the
``fhir.resources`` package, whose default models are R5), and so is the Bundle.  Every resource has a
``urn:uuid`` fullUrl made with uuid5 from alscell's ids, so the same registry always gives the same
bundle, and every reference points at an entry of the same bundle.  Codes without a LOINC or SNOMED CT
equivalent checked for this export use alscell's own code systems (``urn:alscell:codesystem:<name>``,
listed in docs/export-formats.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alscell.domain.alsfrs import ITEM_LABELS, score_items
from alscell.domain.measures import MEASURES
from alscell.io.deidentify import AGE_90_PLUS, MAX_AGE
from alscell.io.tables import Tables

BUNDLE_FILE = "bundle.json"
NAMESPACE = uuid.UUID("6f1c2a7e-3b7d-5c1e-9a51-a1c5ce11e0f1")  # fixed: ids stay the same across exports

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
AE_CAUSALITY = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def alscell_system(name: str) -> str:
    """The URI of one of alscell's own code systems (docs/export-formats.md lists them)."""
    return f"urn:alscell:codesystem:{name}"


def alscell_extension(name: str) -> str:
    return f"urn:alscell:fhir:extension:{name}"


PATIENT_ID_SYSTEM = "urn:alscell:identifier:patient"
# alsfrs.rater (docs/data-rules.md, "Canonical extensions") -> one Practitioner per distinct rater.  R4
# Observation.performer is "who was responsible for asserting the observed value as 'true'", Reference(Practitioner
# | PractitionerRole | Organization | CareTeam | Patient | RelatedPerson); Practitioner is "a person who is directly
# or indirectly involved in the provisioning of healthcare" and every element of it is optional (0..*), so the
# rater is a Practitioner with only an ``identifier`` (system below, value the clinic's pseudonym): no name, no
# telecom, no address, no qualification.  Its id is uuid5 of the pseudonym, so one rater is one resource across
# patients and exports.  An empty rater gives no Practitioner and no ``performer``.
RATER_ID_SYSTEM = "urn:alscell:identifier:rater"
ALS_CONDITION = (SNOMED, "86044005", "Amyotrophic lateral sclerosis")
# LOINC ALSFRS-R panel 82954-9: the total and the items whose codes were checked (docs/export-formats.md).
ALSFRS_TOTAL_LOINC = ("82953-1", "Total score [ALSFRS-R]")
ALSFRS_ITEM_LOINC = {
    "q1": ("82940-8", "Speech [ALSFRS-R]"),
    "q2": ("82941-6", "Salivation [ALSFRS-R]"),
    "q5a": ("82944-0", "Cutting food and handling utensils (patients without gastrostomy) [ALSFRS-R]"),
    "q8": ("82948-1", "Walking [ALSFRS-R]"),
}
MEASURE_LOINC = {
    "fvc_pct_pred": ("19872-1", "FVC measured/predicted"),
    "weight_kg": ("29463-7", "Body weight"),
}
MEASURE_CATEGORY = {
    "weight_kg": "vital-signs",
    "fss": "survey",
    "alsaq40": "survey",
    "alsaq5": "survey",
    "cnsbfs": "survey",
    "nfl": "laboratory",
    "mcp1": "laboratory",
    "il6": "laboratory",
    "tnfa": "laboratory",
    "chi3l1": "laboratory",
}
UCUM_UNITS = {"%": "%", "kg": "kg", "pg/mL": "pg/mL", "ng/mL": "ng/mL", "mV": "mV"}
ROUTES = {
    "intrathecal": ("72607000", "Intrathecal route"),
    "intravenous": ("47625008", "Intravenous route"),
    "intramuscular": ("78421000", "Intramuscular route"),
    "intraspinal": ("418418000", "Intraspinal route"),
}
GENDERS = {"F": "female", "M": "male", "U": "unknown"}
SEVERITY = {1: "mild", 2: "moderate"}  # CTCAE grade 3-5 -> severe; the exact grade is an extension
CAUSALITY = {  # WHO-UMC terms of the R4 CodeSystem
    "definite": "Certain",
    "probable": "Probably-Likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
}
# alsfrs.visit_type (docs/data-rules.md, "Canonical extensions") -> Encounter.class, a Coding bound
# (extensible) to HL7 v3 ActEncounterCode in FHIR R4 (hl7.org/fhir/R4/encounter-definitions.html#Encounter.class;
# codes and displays as in terminology.hl7.org CodeSystem v3-ActCode).  AMB does not tell a planned review from
# an extra contact, so Encounter.type (0..*, example binding: any code) carries the alscell visit type for all
# five.  Encounter.priority (v3 ActPriority: R routine, UR urgent ...) is not used: it is the urgency of the
# encounter, and an unscheduled visit is not known to have been urgent.
ENCOUNTER_CLASS = {
    "scheduled": ("AMB", "ambulatory"),
    "unscheduled": ("AMB", "ambulatory"),
    "home": ("HH", "home health"),
    "inpatient": ("IMP", "inpatient encounter"),
    "remote": ("VR", "virtual"),
}
VISIT_TYPE_TEXT = {
    "scheduled": "scheduled clinic visit",
    "unscheduled": "unscheduled clinic visit",
    "home": "home visit",
    "inpatient": "rating during a hospital admission",
    "remote": "remote visit (telephone or video)",
}
# alsfrs.eligible (docs/data-rules.md, "Canonical extensions") -> one Observation per screened visit.  FHIR R4
# Observation is "measurements and simple assertions made about a patient", and its value[x] may be a boolean
# (hl7.org/fhir/R4/observation-definitions.html#Observation.value_x_), so the screening's outcome is
# valueBoolean: true = met every criterion of the programme, false = did not.  No LOINC or SNOMED CT code was
# checked for "eligible for this therapy at this visit", so the code is alscell's own (``screening``).  Category
# ``survey`` (terminology.hl7.org observation-category: "assessment tool/survey instrument observations"): the
# screening is a checklist of criteria, not a physical-exam finding (``exam``).  ``encounter`` = the visit's
# Encounter when its visit_type is recorded (Observation.encounter: "the healthcare event ... during which this
# observation is made"); ``effectiveDateTime`` = the visit day.  An empty value gives no Observation (not
# screened is not "not eligible").
ELIGIBILITY_CODE = ("msc-eligible", "Eligibility for the MSC therapy at this visit")
PROCEDURE_EVENTS = {
    "tracheostomy": "Tracheostomy",
    "niv_start": "Start of non-invasive ventilation",
    "permanent_ventilation": "Permanent assisted ventilation",
    "gastrostomy": "Gastrostomy",
}


def _uid(kind: str, *parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "\0".join([kind, *map(str, parts)])))


def _ref(uid: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{uid}"}


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    out: dict[str, Any] = {"coding": [coding]}
    if text:
        out["text"] = text
    return out


def _label(value: str) -> str:
    return value.replace("_", " ")


def _day(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and not pd.isna(value)


def _patients(tables: Tables) -> list[dict[str, Any]]:
    p = tables.patients
    death = tables.events[tables.events["event"] == "death"].groupby("patient_id")["date"].min()
    dated = [tables[name][["patient_id", "date"]] for name in ("alsfrs", "measurements", "events", "treatments")]
    last_year = pd.concat(dated).groupby("patient_id")["date"].max()
    flagged = p[AGE_90_PLUS].eq("true") if AGE_90_PLUS in p.columns else pd.Series(False, index=p.index)
    out = []
    for row, top_coded in zip(p.to_dict("records"), flagged.fillna(False).tolist(), strict=True):
        pid = str(row["patient_id"])
        res: dict[str, Any] = {
            "resourceType": "Patient",
            "id": _uid("patient", pid),
            "identifier": [{"system": PATIENT_ID_SYSTEM, "value": pid}],
            "gender": GENDERS[row["sex"]],
        }
        born = row["birth_year"]
        latest = max(d.year for d in (row["onset_date"], last_year.get(pid)) if _present(d))
        # Safe Harbor: a birth year is withheld for anyone who is (or would be, at their last record) 90+.
        if _present(born) and not top_coded and latest - int(born) <= MAX_AGE:
            res["birthDate"] = f"{int(born):04d}"
        if pid in death.index:
            res["deceasedDateTime"] = _day(death[pid])
        out.append(res)
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "id": _uid("condition", pid),
            "clinicalStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            "code": _concept(*ALS_CONDITION),
            "subject": _ref(res["id"]),
            "onsetDateTime": _day(row["onset_date"]),
        }
        if isinstance(row["onset_site"], str):
            condition["bodySite"] = [
                _concept(alscell_system("onset-site"), row["onset_site"], text=f"{row['onset_site']} onset")
            ]
        if _present(row["diagnosis_date"]):
            condition["recordedDate"] = _day(row["diagnosis_date"])
        out.append(condition)
    return out


def _request(tid: str, pid: str, product: dict[str, Any], decided: Any) -> dict[str, Any]:
    """The decision to give one administration, as the ``MedicationRequest`` it fulfils.

    FHIR R4 MedicationRequest is "an order or request for both supply of the medication and the
    instructions for administration"; ``authoredOn`` is "the date when the prescription was initially
    written or authored on", i.e. the day the decision to treat was taken (``treatments.decision_date``),
    and MedicationAdministration.request is "the original request, instruction or authority to perform
    the administration" (hl7.org/fhir/R4/medicationrequest-definitions.html,
    medicationadministration-definitions.html).  ``intent`` ``order`` (a decision to treat, not a
    proposal or plan); ``status`` ``completed``, since the administration it asked for was given."""
    return {
        "resourceType": "MedicationRequest",
        "id": _uid("request", tid),
        "status": "completed",
        "intent": "order",
        "medicationCodeableConcept": product,
        "subject": _ref(_uid("patient", pid)),
        "authoredOn": _day(decided),
    }


def _practitioners(tables: Tables) -> list[dict[str, Any]]:
    """One ``Practitioner`` per distinct recorded ``alsfrs.rater`` (sorted), as :data:`RATER_ID_SYSTEM` says."""
    raters = sorted({r for r in tables.alsfrs["rater"].tolist() if isinstance(r, str)})
    return [
        {
            "resourceType": "Practitioner",
            "id": _uid("practitioner", rater),
            "identifier": [{"system": RATER_ID_SYSTEM, "value": rater}],
        }
        for rater in raters
    ]


def _administrations(tables: Tables) -> list[dict[str, Any]]:
    out = []
    for row in tables.treatments.to_dict("records"):
        tid, pid = str(row["treatment_id"]), str(row["patient_id"])
        placebo = row["blinded_arm"] == "placebo"
        source, donor = row["cell_source"], row["donor"]
        text = "placebo (sham administration)" if placebo else f"{donor} {_label(source)} mesenchymal stem cells"
        if isinstance(row["product"], str) and not placebo:
            text += f" ({row['product']})"
        product = _concept(alscell_system("cell-product"), "placebo" if placebo else source, text=text)
        dosage: dict[str, Any] = {
            "route": _concept(SNOMED, *ROUTES[row["route"]]),
            "dose": {"value": 0 if placebo else float(row["dose_cells"]), "unit": "cells", "system": UCUM},
        }
        dosage["dose"]["code"] = "{cells}"
        muscles = [m.strip() for m in str(row["target_muscles"] or "").split(";") if m.strip()]
        res: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "id": _uid("administration", tid),
            "status": "completed",
            "subject": _ref(_uid("patient", pid)),
            "effectiveDateTime": _day(row["date"]),
            "dosage": dosage,
        }
        if len(muscles) == 1:
            dosage["site"] = _concept(alscell_system("muscle"), muscles[0], text=_label(muscles[0]))
        # dosage.site holds one site: every injected muscle is also listed in an extension.
        res["extension"] = [
            {"url": alscell_extension("target-muscle"), "valueCodeableConcept": _concept(alscell_system("muscle"), m)}
            for m in muscles
        ] + [{"url": alscell_extension("cycle"), "valuePositiveInt": int(row["cycle"])}]
        if isinstance(row.get("lot"), str):
            res["contained"] = [
                {"resourceType": "Medication", "id": "product", "code": product, "batch": {"lotNumber": row["lot"]}}
            ]
            res["medicationReference"] = {"reference": "#product"}
        else:
            res["medicationCodeableConcept"] = product
        if _present(row["decision_date"]):
            request = _request(tid, pid, product, row["decision_date"])
            res["request"] = _ref(request["id"])
            out.append(request)
        out.append(res)
    return out


def _encounters(tables: Tables) -> list[dict[str, Any]]:
    """One ``Encounter`` per ALSFRS-R visit with a recorded ``visit_type`` (none for a visit without one).

    ``status`` ``finished`` (a past visit); ``class`` and ``type`` as :data:`ENCOUNTER_CLASS` says.  No
    ``period``: alscell records the day of the rating, not when the encounter began and ended (an inpatient
    stay spans days); the Observation's ``effectiveDateTime`` gives the day."""
    a = tables.alsfrs
    typed = a[a["visit_type"].notna()]
    out = []
    for pid, day, kind in zip(
        typed["patient_id"].astype(str), typed["date"].map(_day), typed["visit_type"], strict=True
    ):
        code, display = ENCOUNTER_CLASS[kind]
        out.append(
            {
                "resourceType": "Encounter",
                "id": _uid("encounter", pid, day),
                "status": "finished",
                "class": {"system": ACT_CODE, "code": code, "display": display},
                "type": [_concept(alscell_system("visit-type"), kind, text=VISIT_TYPE_TEXT[kind])],
                "subject": _ref(_uid("patient", pid)),
            }
        )
    return out


def _alsfrs(tables: Tables) -> list[dict[str, Any]]:
    a = tables.alsfrs.reset_index(drop=True)
    totals = score_items(a)["total"].tolist()
    out = []
    for row, total in zip(a.to_dict("records"), totals, strict=True):
        pid, day = str(row["patient_id"]), _day(row["date"])
        code = _concept(LOINC, *ALSFRS_TOTAL_LOINC, text="ALSFRS-R total score")
        code["coding"].append({"system": alscell_system("alsfrs-r"), "code": "total"})
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": _uid("alsfrs", pid, day),
            "status": "final",
            "category": [_concept(OBSERVATION_CATEGORY, "survey")],
            "code": code,
            "subject": _ref(_uid("patient", pid)),
            "effectiveDateTime": day,
        }
        if np.isnan(total):
            res["dataAbsentReason"] = _concept(DATA_ABSENT, "unknown", text="not every item was scored")
        else:
            res["valueInteger"] = int(total)
        components = []
        for item, label in ITEM_LABELS.items():
            if not _present(row[item]):
                continue
            item_code = _concept(alscell_system("alsfrs-r"), item, label)
            if item in ALSFRS_ITEM_LOINC:
                item_code["coding"].insert(0, {"system": LOINC, "code": ALSFRS_ITEM_LOINC[item][0]})
            components.append({"code": item_code, "valueInteger": int(row[item])})
        if components:
            res["component"] = components
        if isinstance(row["assessor"], str):
            res["method"] = _concept(alscell_system("alsfrs-r-assessor"), row["assessor"])
        if isinstance(row["visit_type"], str):
            res["encounter"] = _ref(_uid("encounter", pid, day))
        if isinstance(row["rater"], str):
            res["performer"] = [_ref(_uid("practitioner", row["rater"]))]
        out.append(res)
    return out


def _eligibility(tables: Tables) -> list[dict[str, Any]]:
    """One ``Observation`` per ALSFRS-R visit with a recorded ``eligible`` (none for a visit without one), as
    :data:`ELIGIBILITY_CODE` says: ``valueBoolean`` the screening's outcome, ``effectiveDateTime`` the visit day,
    ``encounter`` the visit's Encounter when its type is recorded (:func:`_encounters` makes one then)."""
    a = tables.alsfrs
    screened = a[a["eligible"].notna()]
    out = []
    for row in screened[["patient_id", "date", "visit_type", "eligible"]].to_dict("records"):
        pid, day = str(row["patient_id"]), _day(row["date"])
        code, text = ELIGIBILITY_CODE
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": _uid("eligibility", pid, day),
            "status": "final",
            "category": [_concept(OBSERVATION_CATEGORY, "survey")],
            "code": _concept(alscell_system("screening"), code, text=text),
            "subject": _ref(_uid("patient", pid)),
            "effectiveDateTime": day,
            "valueBoolean": bool(row["eligible"]),
        }
        if isinstance(row["visit_type"], str):
            res["encounter"] = _ref(_uid("encounter", pid, day))
        out.append(res)
    return out


def _measurements(tables: Tables) -> list[dict[str, Any]]:
    out = []
    for row in tables.measurements.to_dict("records"):
        pid, day, key = str(row["patient_id"]), _day(row["date"]), row["measure"]
        measure = MEASURES.get(key)
        code = _concept(alscell_system("measure"), key, measure.label if measure else None)
        if key in MEASURE_LOINC:
            code["coding"].insert(0, {"system": LOINC, "code": MEASURE_LOINC[key][0], "display": MEASURE_LOINC[key][1]})
        qualifiers = [row[c] for c in ("side", "muscle", "specimen") if isinstance(row[c], str)]
        value: dict[str, Any] = {"value": float(row["value"])}
        if row["unit"] in UCUM_UNITS:
            value.update(unit=row["unit"], system=UCUM, code=UCUM_UNITS[row["unit"]])
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": _uid("measurement", pid, day, key, *qualifiers),
            "status": "final",
            "category": [_concept(OBSERVATION_CATEGORY, MEASURE_CATEGORY.get(key, "exam"))],
            "code": code,
            "subject": _ref(_uid("patient", pid)),
            "effectiveDateTime": day,
            "valueQuantity": value,
        }
        if isinstance(row["muscle"], str) or isinstance(row["side"], str):
            site = " ".join(_label(v) for v in (row["side"], row["muscle"]) if isinstance(v, str))
            res["bodySite"] = {"text": site}
            if isinstance(row["muscle"], str):
                res["bodySite"]["coding"] = [{"system": alscell_system("muscle"), "code": row["muscle"]}]
        if isinstance(row["specimen"], str):
            res["contained"] = [
                {
                    "resourceType": "Specimen",
                    "id": "specimen",
                    "type": _concept(alscell_system("specimen"), row["specimen"]),
                    "subject": _ref(_uid("patient", pid)),
                }
            ]
            res["specimen"] = {"reference": "#specimen"}
        out.append(res)
    return out


def _adverse_events(tables: Tables) -> list[dict[str, Any]]:
    out = []
    for row in tables.adverse_events.to_dict("records"):
        aid, pid = str(row["ae_id"]), str(row["patient_id"])
        grade = int(row["grade"])
        res: dict[str, Any] = {
            "resourceType": "AdverseEvent",
            "id": _uid("adverse_event", aid),
            "actuality": "actual",
            "subject": _ref(_uid("patient", pid)),
            "event": _concept(alscell_system("adverse-event"), row["term"], text=_label(row["term"])),
            "date": _day(row["onset_date"]),
            "seriousness": _concept(AE_SERIOUSNESS, "serious" if row["serious"] else "non-serious"),
            "severity": _concept(AE_SEVERITY, SEVERITY.get(grade, "severe")),
            "extension": [{"url": alscell_extension("ctcae-grade"), "valueInteger": grade}],
        }
        if grade == 5:
            res["outcome"] = _concept(AE_OUTCOME, "fatal")
        elif _present(row["resolved_date"]):
            res["outcome"] = _concept(AE_OUTCOME, "resolved")
        if _present(row["resolved_date"]):
            res["extension"].append(
                {"url": alscell_extension("resolved-date"), "valueDate": _day(row["resolved_date"])}
            )
        if isinstance(row["treatment_id"], str):
            suspect: dict[str, Any] = {"instance": _ref(_uid("administration", row["treatment_id"]))}
            if isinstance(row["relatedness"], str):
                assessment = (
                    _concept(AE_CAUSALITY, CAUSALITY[row["relatedness"]], text=row["relatedness"])
                    if row["relatedness"] in CAUSALITY
                    else {"text": row["relatedness"]}
                )
                suspect["causality"] = [{"assessment": assessment}]
            res["suspectEntity"] = [suspect]
        out.append(res)
    return out


def _procedures(tables: Tables) -> list[dict[str, Any]]:
    ev = tables.events[tables.events["event"].isin(list(PROCEDURE_EVENTS))]
    return [
        {
            "resourceType": "Procedure",
            "id": _uid("event", row["patient_id"], _day(row["date"]), row["event"]),
            "status": "completed",
            "code": _concept(alscell_system("event"), row["event"], text=PROCEDURE_EVENTS[row["event"]]),
            "subject": _ref(_uid("patient", row["patient_id"])),
            "performedDateTime": _day(row["date"]),
        }
        for row in ev.to_dict("records")
    ]


class FhirExportError(ValueError):
    """A resource that does not validate as FHIR R4, or a reference to nothing in the bundle."""


def _check_entry(entry: dict[str, Any]) -> None:
    """Validate one entry and its resource against the FHIR R4 models (``fhir.resources.R4B``).

    ``BundleEntry`` validates the resource by its ``resourceType``; parsing the JSON text is about twice as
    fast as validating the dict, which matters at tens of thousands of resources."""
    from fhir.resources.R4B.bundle import BundleEntry
    from pydantic import ValidationError

    try:
        BundleEntry.model_validate_json(json.dumps(entry))
    except ValidationError as exc:
        resource = entry["resource"]
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FhirExportError(
            f"{resource['resourceType']} {resource['id']} is not valid FHIR R4 at {where}: {first['msg']}"
        ) from None


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


def fhir_bundle(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The registry as a FHIR R4 Bundle of type ``collection`` (a JSON-ready dict).

    Every entry is validated with ``fhir.resources.R4B`` (resource by resource, then the bundle itself), and
    every ``urn:uuid`` reference must name an entry of the bundle; :class:`FhirExportError` otherwise."""
    from fhir.resources.R4B.bundle import Bundle

    typed = tables if isinstance(tables, Tables) else Tables.from_frames(tables)
    resources = [
        *_patients(typed),
        *_practitioners(typed),
        *_administrations(typed),
        *_encounters(typed),
        *_alsfrs(typed),
        *_eligibility(typed),
        *_measurements(typed),
        *_adverse_events(typed),
        *_procedures(typed),
    ]
    entries: list[dict[str, Any]] = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    urls = {e["fullUrl"] for e in entries}
    if len(urls) != len(entries):
        raise FhirExportError("two resources of the bundle have the same id")
    for entry, resource in zip(entries, resources, strict=True):
        _check_entry(entry)
        for ref in _references(resource):
            if ref.startswith("urn:uuid:") and ref not in urls:
                raise FhirExportError(f"{resource['resourceType']} {resource['id']} refers to {ref}, not in the bundle")
    shell: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    shell["id"] = _uid("bundle", *(r["id"] for r in resources))
    Bundle.model_validate(shell)
    return {**shell, "entry": entries} if entries else shell


def write_fhir(tables: Mapping[str, pd.DataFrame], out_dir: str | Path) -> int:
    """Write ``bundle.json`` (the FHIR R4 Bundle of ``tables``) to ``out_dir``; returns the entry count."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bundle = fhir_bundle(tables)
    (out / BUNDLE_FILE).write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(bundle.get("entry", []))


__all__ = ["BUNDLE_FILE", "FhirExportError", "alscell_system", "fhir_bundle", "write_fhir"]
