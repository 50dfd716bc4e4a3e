"""FHIR R4 export: the bundle validates with fhir.resources (R4B models), codes are the documented ones, one
Observation per ALSFRS-R total with the hand-worked totals, every reference resolves inside the bundle,
minimal folders work, the export is reproducible and a de-identified one leaks no id or date; the canonical
extensions (decision_date, visit_type, eligible, rater) become a MedicationRequest, Encounters, a boolean
Observation per screened visit and a Practitioner per rater (the ALSFRS-R Observation's performer) where
recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from alscell.domain.vocabulary import VISIT_TYPES
from alscell.io.deidentify import deidentify
from alscell.io.fhir import BUNDLE_FILE, ENCOUNTER_CLASS, fhir_bundle, write_fhir
from alscell.io.reader import read_folder
from export_data import (
    ELIGIBLE_BY_VISIT,
    IDS,
    RATER_BY_VISIT,
    TOTALS,
    VISIT_TYPES_BY_VISIT,
    assert_no_original_date,
    extension_folder,
    hand_folder,
    minimal_folder,
    with_eligible,
    with_rater,
)
from sparse_data import FOLDERS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small"
KEY = b"a test key that is long enough!!"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@pytest.fixture(scope="module")
def hand_tables(tmp_path_factory):
    return read_folder(hand_folder(tmp_path_factory.mktemp("hand") / "in"))


@pytest.fixture(scope="module")
def bundle(hand_tables, tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("fhir")
    write_fhir(hand_tables, out)
    return json.loads((out / BUNDLE_FILE).read_text())


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _codes(concept: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in concept.get("coding", [])}


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


def test_written_bundle_validates_as_fhir_r4(bundle):
    model = Bundle.model_validate(bundle)
    assert model.type == "collection"
    assert all(e.fullUrl.startswith("urn:uuid:") for e in model.entry)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Condition", "MedicationAdministration", "Observation", "AdverseEvent", "Procedure"}


def test_every_reference_resolves_inside_the_bundle(bundle):
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(full_urls) == len(bundle["entry"])
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        contained = {c["id"] for c in resource.get("contained", [])}
        for ref in _references(resource):
            if ref.startswith("#"):
                assert ref[1:] in contained, ref
            else:
                assert ref in full_urls, ref


def test_one_alsfrs_total_observation_per_visit_with_the_hand_worked_totals(bundle):
    patients = {p["id"]: p["identifier"][0]["value"] for p in _resources(bundle, "Patient")}
    frs = [o for o in _resources(bundle, "Observation") if (LOINC, "82953-1") in _codes(o["code"])]
    assert len(frs) == 4  # one per visit, the partial one included
    totals = {
        (patients[o["subject"]["reference"].removeprefix("urn:uuid:")], o["effectiveDateTime"]): o["valueInteger"]
        for o in frs
        if "valueInteger" in o
    }
    assert totals == TOTALS
    partial = [o for o in frs if "valueInteger" not in o]
    assert len(partial) == 1 and partial[0]["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    visit = next(o for o in frs if o["effectiveDateTime"] == "2022-02-01")
    items = {c["code"]["coding"][-1]["code"]: c["valueInteger"] for c in visit["component"]}
    assert items == {"q1": 4, "q2": 4, "q3": 4, "q4": 3, "q5a": 3, "q6": 3, "q7": 4, "q8": 3, "q9": 2} | {
        "q10": 4,
        "q11": 4,
        "q12": 4,
    }
    speech = next(c for c in visit["component"] if c["code"]["coding"][-1]["code"] == "q1")
    assert (LOINC, "82940-8") in _codes(speech["code"])
    assert {o["category"][0]["coding"][0]["code"] for o in frs} == {"survey"}


def test_measurement_codes_units_and_specimen(bundle):
    obs = [o for o in _resources(bundle, "Observation") if "valueQuantity" in o]
    fvc = [o for o in obs if (LOINC, "19872-1") in _codes(o["code"])]
    assert sorted(o["valueQuantity"]["value"] for o in fvc) == [71.0, 80.0]
    assert {(o["valueQuantity"]["system"], o["valueQuantity"]["code"]) for o in fvc} == {
        ("http://unitsofmeasure.org", "%")
    }
    weight = [o for o in obs if (LOINC, "29463-7") in _codes(o["code"])]
    assert [o["valueQuantity"]["value"] for o in weight] == [70.0]
    assert weight[0]["category"][0]["coding"][0]["code"] == "vital-signs"
    nfl = next(o for o in obs if ("urn:alscell:codesystem:measure", "nfl") in _codes(o["code"]))
    assert nfl["contained"][0]["type"]["coding"][0]["code"] == "csf"
    grip = next(o for o in obs if ("urn:alscell:codesystem:measure", "grip_kg") in _codes(o["code"]))
    assert grip["bodySite"]["text"] == "left"


def test_administrations_route_site_dose_and_lot(bundle):
    given = sorted(_resources(bundle, "MedicationAdministration"), key=lambda r: r["effectiveDateTime"])
    assert [r["effectiveDateTime"] for r in given] == ["2022-03-01", "2022-05-01"]
    assert [_codes(r["dosage"]["route"]) for r in given] == [{(SNOMED, "72607000")}, {(SNOMED, "78421000")}]
    assert [r["dosage"]["dose"]["value"] for r in given] == [1e8, 5e7]
    assert {r["dosage"]["dose"]["code"] for r in given} == {"{cells}"}
    first, second = given
    assert first["contained"][0]["batch"]["lotNumber"] == "LOT-7781"
    assert first["medicationReference"]["reference"] == "#product"
    muscles = [
        e["valueCodeableConcept"]["coding"][0]["code"] for e in second["extension"] if "target-muscle" in e["url"]
    ]
    assert muscles == ["deltoid", "biceps"]
    assert "site" not in second["dosage"]  # two muscles: dosage.site holds one, the extension lists both


def test_adverse_events_patient_death_and_procedures(bundle):
    events = {e["date"]: e for e in _resources(bundle, "AdverseEvent")}
    headache, pain = events["2022-03-02"], events["2022-05-03"]
    assert headache["seriousness"]["coding"][0]["code"] == "non-serious"
    assert headache["severity"]["coding"][0]["code"] == "moderate"
    assert headache["outcome"]["coding"][0]["code"] == "resolved"
    assert headache["suspectEntity"][0]["causality"][0]["assessment"]["coding"][0]["code"] == "Probably-Likely"
    assert pain["seriousness"]["coding"][0]["code"] == "serious"
    assert pain["severity"]["coding"][0]["code"] == "severe"
    assert "outcome" not in pain
    patients = {p["identifier"][0]["value"]: p for p in _resources(bundle, "Patient")}
    assert patients["HAND-01"]["deceasedDateTime"] == "2022-09-01"
    assert patients["HAND-01"]["birthDate"] == "1960"
    assert "birthDate" not in patients["HAND-02"]  # 93 and older: Safe Harbor withholds the year
    assert all("name" not in p and "address" not in p for p in patients.values())
    (gastrostomy,) = _resources(bundle, "Procedure")
    assert (gastrostomy["code"]["coding"][0]["code"], gastrostomy["performedDateTime"]) == ("gastrostomy", "2022-07-01")
    conditions = _resources(bundle, "Condition")
    assert len(conditions) == 3 and all((SNOMED, "86044005") in _codes(c["code"]) for c in conditions)


def test_export_is_reproducible(hand_tables):
    assert fhir_bundle(hand_tables) == fhir_bundle(hand_tables)


def test_minimal_folder_and_bundled_example(tmp_path):
    minimal = fhir_bundle(read_folder(minimal_folder(tmp_path / "in")))
    assert [e["resource"]["resourceType"] for e in minimal["entry"]] == ["Patient", "Condition"]
    Bundle.model_validate(minimal)
    example = fhir_bundle(read_folder(EXAMPLE))
    Bundle.model_validate(example)
    assert len(_resources(example, "Patient")) == 4


def test_deidentified_bundle_has_no_original_id_or_date(hand_tables, tmp_path):
    write_fhir(deidentify(hand_tables, KEY), tmp_path)
    text = (tmp_path / BUNDLE_FILE).read_text()
    for value in [*IDS, "LOT-7781"]:
        assert value not in text, value
    assert_no_original_date(text, hand_tables)
    Bundle.model_validate(json.loads(text))


@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_any_valid_sparse_folder_gives_a_valid_bundle(kind, tmp_path):
    tables = read_folder(FOLDERS[kind](tmp_path / "in"))
    bundle = fhir_bundle(tables)
    Bundle.model_validate(bundle)
    assert len(_resources(bundle, "Patient")) == len(tables["patients"])
    assert len(_resources(bundle, "MedicationAdministration")) == len(tables["treatments"])


def test_an_invalid_resource_is_one_sentence_naming_it(hand_tables, monkeypatch):
    import alscell.io.fhir as fhir

    broken = [{"resourceType": "Procedure", "id": "broken-1", "subject": {"reference": "urn:uuid:nobody"}}]
    monkeypatch.setattr(fhir, "_procedures", lambda tables: broken)
    with pytest.raises(fhir.FhirExportError, match=r"^Procedure broken-1 is not valid FHIR R4 at resource\.status"):
        fhir.fhir_bundle(hand_tables)


# The canonical extensions (docs/data-rules.md, "Canonical extensions").


def _patient_ids(bundle: dict[str, Any]) -> dict[str, str]:
    return {f"urn:uuid:{p['id']}": p["identifier"][0]["value"] for p in _resources(bundle, "Patient")}


def test_decision_date_and_visit_type_become_a_request_and_encounters(tmp_path):
    tables = read_folder(extension_folder(tmp_path / "in"))
    bundle = fhir_bundle(tables)
    Bundle.model_validate(bundle)
    # decision_date: one MedicationRequest (authoredOn = the decision), named by its administration only.
    (request,) = _resources(bundle, "MedicationRequest")
    assert (request["authoredOn"], request["intent"], request["status"]) == ("2022-02-01", "order", "completed")
    given = {r["effectiveDateTime"]: r for r in _resources(bundle, "MedicationAdministration")}
    assert given["2022-03-01"]["request"] == {"reference": f"urn:uuid:{request['id']}"}
    assert "request" not in given["2022-05-01"]  # no decision date recorded: no request, no element
    assert request["subject"] == given["2022-03-01"]["subject"]
    # visit_type: one Encounter per typed visit, named by that visit's ALSFRS-R Observation.
    patients = _patient_ids(bundle)
    encounters = {f"urn:uuid:{e['id']}": e for e in _resources(bundle, "Encounter")}
    frs = [o for o in _resources(bundle, "Observation") if (LOINC, "82953-1") in _codes(o["code"])]
    seen = {}
    for obs in frs:
        key = (patients[obs["subject"]["reference"]], obs["effectiveDateTime"])
        if VISIT_TYPES_BY_VISIT[key] is None:
            assert "encounter" not in obs, key
            continue
        encounter = encounters[obs["encounter"]["reference"]]
        assert encounter["subject"] == obs["subject"] and encounter["status"] == "finished"
        seen[key] = (encounter["class"]["code"], encounter["type"][0]["coding"][0]["code"])
    assert seen == {
        ("HAND-01", "2022-02-01"): ("AMB", "scheduled"),
        ("HAND-01", "2022-03-01"): ("AMB", "unscheduled"),
        ("HAND-02", "2022-01-15"): ("VR", "remote"),
    }
    assert len(encounters) == 3
    assert {e["class"]["system"] for e in encounters.values()} == {ACT_CODE}
    # Measurements are not tied to a visit type.
    assert all("encounter" not in o for o in _resources(bundle, "Observation") if "valueQuantity" in o)
    assert fhir_bundle(tables) == bundle  # reproducible


def test_deidentified_extensions_carry_no_original_date(tmp_path):
    tables = read_folder(extension_folder(tmp_path / "in"))
    write_fhir(deidentify(tables, KEY), tmp_path / "out")
    text = (tmp_path / "out" / BUNDLE_FILE).read_text()
    bundle = json.loads(text)
    assert len(_resources(bundle, "MedicationRequest")) == 1 and len(_resources(bundle, "Encounter")) == 3
    assert_no_original_date(text, tables)


@pytest.mark.parametrize(
    ("kind", "code"),
    [("scheduled", "AMB"), ("unscheduled", "AMB"), ("home", "HH"), ("inpatient", "IMP"), ("remote", "VR")],
)
def test_every_visit_type_maps_to_its_encounter_class(hand_tables, kind, code):
    frames = {name: frame.copy() for name, frame in hand_tables.items()}
    frames["alsfrs"]["visit_type"] = kind
    bundle = fhir_bundle(frames)
    encounters = _resources(bundle, "Encounter")
    assert len(encounters) == len(frames["alsfrs"])
    assert {(e["class"]["system"], e["class"]["code"]) for e in encounters} == {(ACT_CODE, code)}
    assert {e["type"][0]["coding"][0]["code"] for e in encounters} == {kind}


def test_the_encounter_class_table_covers_the_vocabulary():
    assert set(ENCOUNTER_CLASS) == set(VISIT_TYPES)
    assert {code for code, _ in ENCOUNTER_CLASS.values()} == {"AMB", "HH", "IMP", "VR"}


def test_without_the_extension_columns_the_bundle_is_as_before(bundle, tmp_path):
    # The hand folder and the minimal folder have neither column: no Encounter, no MedicationRequest, and no
    # resource names one.
    minimal = fhir_bundle(read_folder(minimal_folder(tmp_path / "in")))
    for one in (bundle, minimal):
        kinds = {e["resource"]["resourceType"] for e in one["entry"]}
        assert not kinds & {"Encounter", "MedicationRequest"}
        assert all("encounter" not in e["resource"] and "request" not in e["resource"] for e in one["entry"])


# alsfrs.eligible's Observation code (alscell.io.fhir.ELIGIBILITY_CODE under alscell's screening code system)
SCREENING = ("urn:alscell:codesystem:screening", "msc-eligible")


def _screenings(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in _resources(bundle, "Observation") if SCREENING in _codes(o["code"])]


def test_recorded_eligibility_is_a_boolean_observation_at_its_visit(tmp_path):
    tables = read_folder(with_eligible(extension_folder(tmp_path / "in"), ELIGIBLE_BY_VISIT))
    bundle = fhir_bundle(tables)
    Bundle.model_validate(bundle)
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(full_urls) == len(bundle["entry"])
    patients = _patient_ids(bundle)
    frs = {
        (patients[o["subject"]["reference"]], o["effectiveDateTime"]): o
        for o in _resources(bundle, "Observation")
        if (LOINC, "82953-1") in _codes(o["code"])
    }
    seen = {}
    for obs in _screenings(bundle):
        key = (patients[obs["subject"]["reference"]], obs["effectiveDateTime"])
        assert (obs["status"], obs["code"]["text"]) == ("final", "Eligibility for the MSC therapy at this visit")
        assert _codes(obs["category"][0]) == {("http://terminology.hl7.org/CodeSystem/observation-category", "survey")}
        assert "valueQuantity" not in obs and "dataAbsentReason" not in obs
        # The visit's Encounter when its type is recorded: the same one its ALSFRS-R Observation names.
        assert obs.get("encounter") == frs[key].get("encounter"), key
        if "encounter" in obs:
            assert obs["encounter"]["reference"] in full_urls
        seen[key] = (obs["valueBoolean"], "encounter" in obs)
    # By hand: true at the scheduled visit, false at the untyped and the remote one; none where not screened.
    assert seen == {
        ("HAND-01", "2022-02-01"): (True, True),
        ("HAND-01", "2022-06-01"): (False, False),
        ("HAND-02", "2022-01-15"): (False, True),
    }
    assert fhir_bundle(tables) == bundle  # reproducible, ids deterministic
    # Everything else is the bundle of the folder without eligibility.
    before = fhir_bundle(read_folder(extension_folder(tmp_path / "before")))
    others = [e for e in bundle["entry"] if e["resource"] not in _screenings(bundle)]
    assert others == before["entry"]


def test_eligibility_without_visit_types_names_no_encounter(tmp_path):
    tables = read_folder(with_eligible(hand_folder(tmp_path / "in"), ELIGIBLE_BY_VISIT))
    bundle = fhir_bundle(tables)
    assert not _resources(bundle, "Encounter")
    patients = _patient_ids(bundle)
    values = {
        (patients[o["subject"]["reference"]], o["effectiveDateTime"]): o["valueBoolean"] for o in _screenings(bundle)
    }
    assert values == {
        ("HAND-01", "2022-02-01"): True,
        ("HAND-01", "2022-06-01"): False,
        ("HAND-02", "2022-01-15"): False,
    }
    assert all("encounter" not in o for o in _screenings(bundle))


@pytest.mark.parametrize(
    ("add", "by_visit", "absent"),
    [
        (with_eligible, ELIGIBLE_BY_VISIT, (b"msc-eligible",)),
        (with_rater, RATER_BY_VISIT, (b"Practitioner", b"performer")),
    ],
    ids=["eligible", "rater"],
)
def test_an_empty_extension_column_exports_as_before(tmp_path, add, by_visit, absent):
    """alsfrs.eligible or alsfrs.rater present but empty: the bundle is byte-identical to the folder's without it."""
    nobody = dict.fromkeys(by_visit)
    for name, make in (("hand", hand_folder), ("ext", extension_folder)):
        write_fhir(read_folder(make(tmp_path / name / "in")), tmp_path / name / "before")
        write_fhir(read_folder(add(make(tmp_path / name / "empty"), nobody)), tmp_path / name / "after")
        before = (tmp_path / name / "before" / BUNDLE_FILE).read_bytes()
        assert (tmp_path / name / "after" / BUNDLE_FILE).read_bytes() == before, name
        assert not any(marker in before for marker in absent)


def test_deidentified_eligibility_carries_no_original_id_or_date(tmp_path):
    tables = read_folder(with_eligible(extension_folder(tmp_path / "in"), ELIGIBLE_BY_VISIT))
    write_fhir(deidentify(tables, KEY), tmp_path / "out")
    text = (tmp_path / "out" / BUNDLE_FILE).read_text()
    bundle = json.loads(text)
    assert sorted(o["valueBoolean"] for o in _screenings(bundle)) == [False, False, True]
    for value in IDS:
        assert value not in text, value
    assert_no_original_date(text, tables)


# alsfrs.rater: a Practitioner per rater (identifier only), named by the ALSFRS-R Observation as its performer.
RATER_SYSTEM = "urn:alscell:identifier:rater"
RATERS = sorted({r for r in RATER_BY_VISIT.values() if r})


def _totals(bundle: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    patients = _patient_ids(bundle)
    return {
        (patients[o["subject"]["reference"]], o["effectiveDateTime"]): o
        for o in _resources(bundle, "Observation")
        if (LOINC, "82953-1") in _codes(o["code"])
    }


def test_each_rater_is_a_practitioner_named_as_the_ratings_performer(tmp_path):
    tables = read_folder(with_rater(extension_folder(tmp_path / "in")))
    bundle = fhir_bundle(tables)
    Bundle.model_validate(bundle)
    practitioners = _resources(bundle, "Practitioner")
    # One per distinct rater, with the clinic's pseudonym as its only identifier and nothing else: no name.
    assert [p["identifier"] for p in practitioners] == [[{"system": RATER_SYSTEM, "value": r}] for r in RATERS]
    assert all(set(p) == {"resourceType", "id", "identifier"} for p in practitioners)
    by_url = {f"urn:uuid:{p['id']}": p["identifier"][0]["value"] for p in practitioners}
    performed = {
        key: [by_url[ref["reference"]] for ref in obs.get("performer", [])] for key, obs in _totals(bundle).items()
    }
    # By hand: R07 rated HAND-01's first and third visits, nurse-3 the second; HAND-02's self-report has none.
    assert performed == {key: [r] if r else [] for key, r in RATER_BY_VISIT.items()}
    assert fhir_bundle(tables) == bundle  # reproducible: a rater's id is derived from the pseudonym
    # Every other resource is the bundle of the folder without raters (the performer aside).
    before = fhir_bundle(read_folder(extension_folder(tmp_path / "before")))
    others = [
        {**e, "resource": {k: v for k, v in e["resource"].items() if k != "performer"}}
        for e in bundle["entry"]
        if e["resource"]["resourceType"] != "Practitioner"
    ]
    assert others == before["entry"]


def test_a_rater_is_the_same_practitioner_across_patients(tmp_path):
    two = {visit: "R07" if r else None for visit, r in RATER_BY_VISIT.items()}  # the self-report keeps none
    bundle = fhir_bundle(read_folder(with_rater(hand_folder(tmp_path / "in"), two)))
    (practitioner,) = _resources(bundle, "Practitioner")
    refs = [o["performer"][0]["reference"] for o in _totals(bundle).values() if "performer" in o]
    assert refs == [f"urn:uuid:{practitioner['id']}"] * 3


def test_deidentified_raters_are_keyed_pseudonyms(tmp_path):
    tables = read_folder(with_rater(with_eligible(extension_folder(tmp_path / "in"), ELIGIBLE_BY_VISIT)))
    write_fhir(deidentify(tables, KEY), tmp_path / "out")
    text = (tmp_path / "out" / BUNDLE_FILE).read_text()
    bundle = json.loads(text)
    Bundle.model_validate(bundle)
    for value in [*IDS, *RATERS]:
        assert value not in text, value
    assert_no_original_date(text, tables)
    values = [p["identifier"][0]["value"] for p in _resources(bundle, "Practitioner")]
    assert len(values) == 2 and all(v.startswith("R-") and len(v) == 22 for v in values)
    # The same rater is the same pseudonym: R07's two ratings name one Practitioner.
    counts = sorted(len(o.get("performer", [])) for o in _resources(bundle, "Observation"))
    assert sum(counts) == 3
    named = [o["performer"][0]["reference"] for o in _resources(bundle, "Observation") if "performer" in o]
    assert sorted(named.count(r) for r in set(named)) == [1, 2]
