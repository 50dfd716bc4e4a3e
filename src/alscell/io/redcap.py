"""REDCap layout of alscell's instruments: data dictionary, records export, and records → canonical folder.

One REDCap record per patient (``record_id`` = ``patient_id``). ``demographics`` is the non-repeating
instrument; ``administration``, ``alsfrs_r``, ``measurement``, ``adverse_event`` and ``event`` are
repeating instruments (``redcap_repeat_instrument``, ``redcap_repeat_instance``), one instance per row of
the canonical table.  Enumerated columns are dropdowns coded ``1, label | 2, label`` (ALSFRS-R items keep
their 0–4 scores as codes), booleans are ``yesno``, ``target_muscles`` is a checkbox
(``adm_target_muscles___<code>``), dates are validated ``date_ymd`` between 1900-01-01 and today.  ``x_``
columns are not exported, except the de-identified export's ``x_age_90_plus`` (field ``dem_age_90_plus``).

Longitudinal projects: a records export with ``redcap_event_name`` is always accepted.  Any instrument may
sit in any event, repeating or not: a row's data belongs to the instrument named in
``redcap_repeat_instrument``, or, when that cell is empty (a non-repeating instrument, or a repeating
event), to every instrument that has a filled field on the row.  Events are places in REDCap's grid, not
data: each canonical row carries its own date, so the event name only appears in error messages.  The
export writes a longitudinal layout on request (``to_records(..., longitudinal=True)``): demographics in
the event ``enrolment_arm_1``, the repeating instruments in ``follow_up_arm_1``, with the event and
instrument-designation files REDCap needs to set such a project up.

Labels: a records export made with labels instead of raw codes (REDCap's "CSV (labels)" and the API's
``rawOrLabel=label``, ``rawOrLabelHeaders=label``, ``exportCheckboxLabel``) reads the same as a raw one:
dropdown and yes/no labels, ``Checked``/``Unchecked`` or the choice label in checkbox columns, instrument
titles in ``Repeat Instrument``, and field labels as headers (``Label (choice=...)`` for checkboxes).

Import goes through the canonical reader (``convert_records`` writes a canonical folder), so it applies
exactly the same validation as ``alscell import``; ``Converted.explain`` turns each problem found in that
folder back into the REDCap record, event, instrument, instance and field it came from.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alscell.domain.alsfrs import ITEM_LABELS
from alscell.domain.measures import MEASURES
from alscell.domain.vocabulary import MUSCLES
from alscell.io.columns import ALSFRS_ITEMS, FILE_ORDER, REQUIRED, TABLES, kind_of
from alscell.io.deidentify import AGE_90_PLUS
from alscell.io.errors import Problem
from alscell.io.rawcsv import read_raw_table
from alscell.io.validate import CHOICES, EARLIEST_DATE
from alscell.io.writer import csv_safe, format_table

DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
DICTIONARY_FILE = "alscell_DataDictionary.csv"
RECORDS_FILE = "alscell_records.csv"
REPEATING_FILE = "alscell_RepeatingInstruments.csv"
EVENTS_FILE = "alscell_Events.csv"
DESIGNATIONS_FILE = "alscell_InstrumentDesignations.csv"
EVENT_COLUMN = "redcap_event_name"
REPEAT_COLUMNS = ("redcap_repeat_instrument", "redcap_repeat_instance")
# REDCap system columns an export may carry that hold no alscell data.
IGNORED_COLUMNS = frozenset({"redcap_data_access_group", "redcap_survey_identifier"})
# Headers of REDCap's label export for its own columns.
LABEL_HEADERS = {
    "event name": EVENT_COLUMN,
    "repeat instrument": "redcap_repeat_instrument",
    "repeat instance": "redcap_repeat_instance",
    "data access group": "redcap_data_access_group",
    "survey identifier": "redcap_survey_identifier",
}
ENROLMENT_EVENT = "enrolment_arm_1"
FOLLOW_UP_EVENT = "follow_up_arm_1"
RECORD_LABEL = "Record ID (patient id)"
EARLIEST = EARLIEST_DATE.isoformat()  # rule date_before_1900
# RFC 4180 line ends: Python's csv writer quotes a cell holding any character of the line terminator, so
# with CRLF a lone carriage return inside free text is quoted too (with "\n" alone it would split the row).
CRLF = "\r\n"
LATEST = "today"  # rule date_in_future; REDCap accepts "today" as a date range limit from version 12.1


@dataclass(frozen=True)
class Instrument:
    """One REDCap instrument: the canonical table it holds and the prefix of its field names."""

    form: str
    table: str
    prefix: str
    title: str

    @property
    def repeating(self) -> bool:
        return self.table != "patients"

    def columns(self) -> list[str]:
        cols = [c for c in TABLES[self.table] if c != "patient_id"]
        return [*cols, AGE_90_PLUS] if self.table == "patients" else cols

    def field(self, column: str) -> str:
        if column == AGE_90_PLUS:
            return self.prefix + "age_90_plus"
        return self.prefix + column


INSTRUMENTS = (
    Instrument("demographics", "patients", "dem_", "Demographics"),
    Instrument("administration", "treatments", "adm_", "Administration"),
    Instrument("alsfrs_r", "alsfrs", "frs_", "ALSFRS-R"),
    Instrument("measurement", "measurements", "mea_", "Measurement"),
    Instrument("adverse_event", "adverse_events", "ae_", "Adverse Event"),
    Instrument("event", "events", "evt_", "Event"),
)
BY_FORM = {i.form: i for i in INSTRUMENTS}
BY_TABLE = {i.table: i for i in INSTRUMENTS}
# Ranges of the spec (spec/data-format.md, alscell.io.validate); REDCap's limits are inclusive, so
# "dose_cells > 0" is shown as min 0 and enforced on import.  Birth year's upper limit (this year) moves.
INT_RANGES = {"birth_year": ("1900", ""), "cycle": ("1", ""), "grade": ("1", "5"), "passage": ("0", "")}
FLOAT_RANGES = {"viability_pct": ("0", "100"), "dose_cells": ("0", "")}
COLUMN_LABELS = {
    "sex": "Sex",
    "birth_year": "Birth year",
    "onset_date": "Date of first symptom (onset)",
    "diagnosis_date": "Date of diagnosis",
    "onset_site": "Site of onset",
    "el_escorial": "El Escorial category",
    "riluzole": "Riluzole",
    "edaravone": "Edaravone",
    "genetics": "Genetics",
    "cohort": "Cohort",
    "site": "Site (clinic following the patient)",
    "ftd": "Frontotemporal dementia",
    AGE_90_PLUS: "Age 90 or older (de-identified export)",
    "treatment_id": "Administration id",
    "cycle": "Cycle",
    "cell_source": "Cell source",
    "donor": "Donor",
    "route": "Route",
    "dose_cells": "Dose (total cells)",
    "target_muscles": "Target muscles",
    "product": "Product",
    "lot": "Lot",
    "viability_pct": "Viability at release (%)",
    "passage": "Passage",
    "blinded_arm": "Blinded arm",
    "decision_date": "Date the decision to treat was taken",
    "assessor": "Rated by",
    "visit_type": "Visit type",
    "eligible": "Screened eligible for the therapy at this visit",
    "rater": "Rater (pseudonym)",
    "measure": "Measure",
    "value": "Value",
    "unit": "Unit",
    "side": "Side",
    "muscle": "Muscle",
    "specimen": "Specimen",
    "ae_id": "Adverse event id",
    "resolved_date": "Date resolved",
    "term": "Term",
    "grade": "CTCAE grade",
    "serious": "Serious",
    "relatedness": "Relatedness",
    "event": "Event",
} | {q: f"{q[1:]}. {label}" for q, label in ITEM_LABELS.items()}
# Columns that several instruments share get a label of their own in each, so labels are unique headers.
INSTRUMENT_LABELS = {
    ("treatments", "date"): "Administration date",
    ("alsfrs", "date"): "ALSFRS-R visit date",
    ("measurements", "date"): "Measurement date",
    ("events", "date"): "Event date",
    ("adverse_events", "onset_date"): "Adverse event onset date",
    ("adverse_events", "treatment_id"): "Administration the adverse event is attributed to (id)",
}
# Safe Harbor identifiers (45 CFR 164.514(b)(2)): ids and record numbers (a lot of autologous cells names
# one patient), every element of a date, and the birth year (it gives ages over 89).  The rater's pseudonym names a
# member of staff, not the patient, but whoever holds the clinic's staff list can link it, and alscell's own
# de-identification re-keys it (io.deidentify): flagged too, so REDCap's de-identified exports leave it out.
IDENTIFIERS = frozenset({"treatment_id", "ae_id", "lot", "birth_year", "rater"})


class RecordsError(ValueError):
    """A REDCap records export that cannot become a canonical folder; one sentence per problem."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass(frozen=True)
class Origin:
    """Where a canonical row came from in the REDCap records export."""

    record: str
    instrument: str
    instance: str = ""
    event: str = ""
    line: int | None = None

    def __str__(self) -> str:
        parts = [f"record {self.record}"]
        if self.event:
            parts.append(f"event {self.event}")
        parts.append(f"instrument {self.instrument}")
        if self.instance:
            parts.append(f"instance {self.instance}")
        where = ", ".join(parts)
        return f"line {self.line} ({where})" if self.line is not None else where


def _choices(column: str) -> list[tuple[str, str]] | None:
    """(code, canonical value) pairs of an enumerated column, or None."""
    if column in ALSFRS_ITEMS:
        return [(str(s), str(s)) for s in range(5)]
    if column == "unit":
        return None
    values = CHOICES.get(column)
    return None if values is None else [(str(i + 1), v) for i, v in enumerate(values)]


def _muscle_codes() -> list[tuple[str, str]]:
    return [(str(i + 1), m) for i, m in enumerate(MUSCLES)]


def _is_bool(column: str) -> bool:
    return kind_of(column) == "bool" or column == AGE_90_PLUS


def field_label(inst: Instrument, column: str) -> str:
    """The Field Label of ``column`` in ``inst`` (unique across the dictionary)."""
    return INSTRUMENT_LABELS.get((inst.table, column)) or COLUMN_LABELS.get(column, column)


def _branching(inst: Instrument, column: str) -> str:
    """REDCap branching logic that shows a field only where the spec allows or needs it."""
    if (inst.table, column) == ("treatments", "target_muscles"):
        code = dict((v, c) for c, v in _choices("route") or [])["intramuscular"]
        return f"[{inst.field('route')}] = '{code}'"
    if inst.table == "measurements" and column in ("muscle", "specimen"):
        codes = dict((v, c) for c, v in _choices("measure") or [])
        needs = [k for k, m in MEASURES.items() if getattr(m, f"needs_{column}")]
        return " or ".join(f"[{inst.field('measure')}] = '{codes[k]}'" for k in needs)
    return ""


def data_dictionary() -> pd.DataFrame:
    """The REDCap data dictionary (18 standard columns) of alscell's instruments; first field ``record_id``."""
    rows: list[dict[str, str]] = [
        {"Variable / Field Name": "record_id", "Form Name": "demographics", "Field Type": "text",
         "Field Label": RECORD_LABEL, "Identifier?": "y", "Required Field?": "y",
         "Field Annotation": "alscell column patients.patient_id"}
    ]  # fmt: skip
    for inst in INSTRUMENTS:
        for col in inst.columns():
            row = {
                "Variable / Field Name": inst.field(col),
                "Form Name": inst.form,
                "Field Label": field_label(inst, col),
                "Branching Logic (Show field only if...)": _branching(inst, col),
                "Field Annotation": f"alscell column {inst.table}.{col}",
            }
            choices = _choices(col)
            kind = kind_of(col)
            if col == "target_muscles":
                row["Field Type"] = "checkbox"
                row["Choices, Calculations, OR Slider Labels"] = " | ".join(f"{c}, {m}" for c, m in _muscle_codes())
            elif choices is not None:
                row["Field Type"] = "dropdown"
                row["Choices, Calculations, OR Slider Labels"] = " | ".join(f"{c}, {v}" for c, v in choices)
            elif _is_bool(col):
                row["Field Type"] = "yesno"
            else:
                row["Field Type"] = "text"
                if kind == "date":
                    row["Text Validation Type OR Show Slider Number"] = "date_ymd"
                    row["Text Validation Min"], row["Text Validation Max"] = EARLIEST, LATEST
                elif kind == "int":
                    row["Text Validation Type OR Show Slider Number"] = "integer"
                    row["Text Validation Min"], row["Text Validation Max"] = INT_RANGES.get(col, ("", ""))
                elif kind == "float":
                    row["Text Validation Type OR Show Slider Number"] = "number"
                    row["Text Validation Min"], row["Text Validation Max"] = FLOAT_RANGES.get(col, ("", ""))
            if col == "unit":
                row["Field Note"] = "; ".join(f"{m.key}: {m.unit or '(none)'}" for m in MEASURES.values())
            elif col == "value":
                row["Field Note"] = "; ".join(f"{m.key}: {m.low:g}-{m.high:g}" for m in MEASURES.values())
            elif col == "dose_cells":
                row["Field Note"] = "total cells, > 0 (e.g. 1.0e8)"
            elif col == "rater":  # rule bad_rater (alscell.io.validate.RATER_RE), checked on import
                row["Field Note"] = (
                    "the clinic's pseudonym for who rated (e.g. R07), never a name: 1-40 of A-Z a-z 0-9 . _ -"
                )
            if kind == "date" or col in IDENTIFIERS:
                row["Identifier?"] = "y"
            if col in REQUIRED[inst.table]:
                row["Required Field?"] = "y"
            rows.append(row)
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)).fillna("")


def _record_columns(longitudinal: bool) -> list[str]:
    columns = ["record_id", *([EVENT_COLUMN] if longitudinal else []), *REPEAT_COLUMNS]
    for inst in INSTRUMENTS:
        for col in inst.columns():
            if col == "target_muscles":
                columns += [f"{inst.field(col)}___{c}" for c, _ in _muscle_codes()]
            else:
                columns.append(inst.field(col))
        columns.append(f"{inst.form}_complete")
    return columns


def to_records(tables: dict[str, pd.DataFrame], *, longitudinal: bool = False, labels: bool = False) -> pd.DataFrame:
    """Canonical typed tables as a REDCap records export (repeating instruments).

    ``longitudinal`` adds ``redcap_event_name`` (demographics in ``enrolment_arm_1``, the repeating
    instruments in ``follow_up_arm_1``); ``labels`` writes labels instead of raw codes, as REDCap's
    label export does (headers stay raw field names).
    """
    columns = _record_columns(longitudinal)
    parts: list[pd.DataFrame] = []
    for inst in INSTRUMENTS:
        frame = tables.get(inst.table)
        if frame is None or frame.empty:
            continue
        frame = frame[[c for c in frame.columns if not c.startswith("x_") or c in inst.columns()]]
        text = format_table(inst.table, frame.reset_index(drop=True))
        out = pd.DataFrame({"record_id": text["patient_id"]})
        if longitudinal:
            out[EVENT_COLUMN] = FOLLOW_UP_EVENT if inst.repeating else ENROLMENT_EVENT
        if inst.repeating:
            out["redcap_repeat_instrument"] = inst.title if labels else inst.form
            out["redcap_repeat_instance"] = (text.groupby("patient_id").cumcount() + 1).astype(str)
        for col in inst.columns():
            values = text[col].fillna("").astype(str) if col in text else pd.Series("", index=text.index)
            choices = _choices(col)
            if col == "target_muscles":
                chosen = values.map(lambda v: {m.strip() for m in v.split(";")} if v else set())
                for code, muscle in _muscle_codes():
                    yes, no = ("Checked", "Unchecked") if labels else ("1", "0")
                    out[f"{inst.field(col)}___{code}"] = chosen.map(lambda s, m=muscle, y=yes, n=no: y if m in s else n)
            elif choices is not None:
                code_of = {v: (v if labels else c) for c, v in choices}
                out[inst.field(col)] = values.map(lambda v, co=code_of: co.get(v, v) if v else "")
            elif _is_bool(col):
                yes, no = ("Yes", "No") if labels else ("1", "0")
                out[inst.field(col)] = values.map({"true": yes, "false": no, "": ""})
            else:
                out[inst.field(col)] = values
        out[f"{inst.form}_complete"] = "Complete" if labels else "2"
        parts.append(out)
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    records = records.reindex(columns=columns).fillna("")
    # REDCap order: each record's non-repeating row first, then its repeating instances.
    rank = {inst.form: i for i, inst in enumerate(INSTRUMENTS)} | {inst.title: i for i, inst in enumerate(INSTRUMENTS)}
    order = records.assign(
        _form=records["redcap_repeat_instrument"].map(lambda f: rank.get(f, -1)),
        _inst=pd.to_numeric(records["redcap_repeat_instance"], errors="coerce").fillna(0),
    ).sort_values(["record_id", "_form", "_inst"], kind="stable")
    return records.loc[order.index].reset_index(drop=True)


def project_files(longitudinal: bool) -> dict[str, pd.DataFrame]:
    """The setup files besides the dictionary: repeating instruments, and for a longitudinal project its
    events and instrument designations (the CSV layouts of REDCap's upload pages and API)."""
    repeating = [i for i in INSTRUMENTS if i.repeating]
    if not longitudinal:
        return {REPEATING_FILE: pd.DataFrame({"form_name": [i.form for i in repeating], "custom_form_label": ""})}
    events = pd.DataFrame(
        {
            "event_name": ["Enrolment", "Follow-up"],
            "arm_num": "1",
            "unique_event_name": [ENROLMENT_EVENT, FOLLOW_UP_EVENT],
        }
    )
    designations = pd.DataFrame(
        {
            "arm_num": "1",
            "unique_event_name": [ENROLMENT_EVENT] + [FOLLOW_UP_EVENT] * len(repeating),
            "form": ["demographics"] + [i.form for i in repeating],
        }
    )
    repeats = pd.DataFrame(
        {"event_name": FOLLOW_UP_EVENT, "form_name": [i.form for i in repeating], "custom_form_label": ""}
    )
    return {EVENTS_FILE: events, DESIGNATIONS_FILE: designations, REPEATING_FILE: repeats}


def write_redcap(tables: dict[str, pd.DataFrame], out_dir: str | Path, *, longitudinal: bool = False) -> Path:
    """Write the data dictionary, the project setup files and the records of ``tables`` to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dictionary = data_dictionary()
    csv_safe(dictionary, dictionary.columns).to_csv(out / DICTIONARY_FILE, index=False, lineterminator=CRLF)
    for name, frame in project_files(longitudinal).items():
        frame.to_csv(out / name, index=False, lineterminator=CRLF)
    records = to_records(tables, longitudinal=longitudinal)
    text_fields = [inst.field(c) for inst in INSTRUMENTS for c in inst.columns() if kind_of(c) == "text"]
    safe = csv_safe(records, [c for c in ["record_id", *text_fields] if c in records.columns])
    safe.to_csv(out / RECORDS_FILE, index=False, lineterminator=CRLF)
    return out


# ---------------------------------------------------------------------------------------------- import


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().casefold()).strip("_")


def _header_map() -> dict[str, str | None]:
    """Every header a raw or label export may have → raw field name (None: a column to ignore)."""
    # "Record ID" (REDCap's default label of the first field) normalises to record_id itself.
    known: dict[str, str | None] = {"record_id": "record_id", _norm(RECORD_LABEL): "record_id"}
    for label, name in LABEL_HEADERS.items():
        known[_norm(label)] = name
        known[name] = name
    known["complete"] = None
    for inst in INSTRUMENTS:
        known[f"{inst.form}_complete"] = None
        known[_norm(f"{inst.title} complete")] = None
        for col in inst.columns():
            name, label = inst.field(col), field_label(inst, col)
            if col == "target_muscles":
                for code, muscle in _muscle_codes():
                    known[f"{name}___{code}"] = f"{name}___{code}"
                    known[_norm(f"{label} (choice={muscle})")] = f"{name}___{code}"
            else:
                known[name] = name
                known[_norm(label)] = name
    return known


def _raw_headers(columns: list[str]) -> tuple[list[str | None], list[str]]:
    """Raw field names of ``columns`` (None to drop) and the problems of headers alscell does not know."""
    known = _header_map()
    names: list[str | None] = []
    problems: list[str] = []
    for col in columns:
        name = known.get(col, known.get(_norm(col), "")) if col not in IGNORED_COLUMNS else None
        if name == "" and re.fullmatch(r".+_timestamp", col):
            name = None  # survey timestamps
        if name == "":
            problems.append(f"column {col!r} is not a field of alscell's REDCap data dictionary")
        names.append(name or None)
    kept = [n for n in names if n]
    for dup in sorted({n for n in kept if kept.count(n) > 1}):
        problems.append(f"field {dup} appears in more than one column")
    return names, problems


def read_records(path: str | Path) -> pd.DataFrame:
    """A REDCap records export (raw or labels) as text cells with raw field names, index = physical line.

    Raises RecordsError naming the file's problems (unreadable, ragged rows, unknown columns); each
    message reads after the file's name."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordsError([f"cannot be read as UTF-8 text ({exc})"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[str] = []
    start = 1
    try:
        for row in reader:
            if header is None:
                header = row if row else None
            elif row and len(row) != len(header):
                problems.append(f"line {start}: the row has {len(row)} fields but the header has {len(header)}")
            elif row:
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise RecordsError([f"is not a valid CSV file (line {reader.line_num}: {exc})"]) from None
    if not header:
        raise RecordsError(["is empty: a header row is required"])
    names, header_problems = _raw_headers(header)
    problems = header_problems + problems
    if "record_id" not in names:
        problems.append("has no record_id column (the first field of alscell's REDCap data dictionary)")
    if problems:
        raise RecordsError(problems)
    index = pd.Index(lines, name="line")
    data = {n: pd.Series([r[i] for r in rows], index=index, dtype=object) for i, n in enumerate(names) if n}
    frame = pd.DataFrame(data, index=index)
    # Cells written with one leading ' before a formula character (alscell.io.writer) lose that quote.
    for col in frame.columns:
        quoted = frame[col].str.match(r"'+[=+\-@\t\r]", na=False)
        if quoted.any():
            frame[col] = frame[col].where(~quoted, frame[col].str[1:])
    return frame


def _origin(records: pd.DataFrame, i: object, form: str) -> Origin:
    line = int(str(i)) if records.index.name == "line" else None
    return Origin(
        str(records.at[i, "record_id"]),
        form,
        str(records.at[i, "redcap_repeat_instance"]) if "redcap_repeat_instance" in records else "",
        str(records.at[i, EVENT_COLUMN]) if EVENT_COLUMN in records else "",
        line,
    )


def _filled(rows: pd.DataFrame, inst: Instrument) -> pd.Series:
    """Rows with at least one field of ``inst`` filled (a checkbox only when checked)."""
    hit = pd.Series(False, index=rows.index)
    for col in inst.columns():
        name = inst.field(col)
        if col == "target_muscles":
            for code, muscle in _muscle_codes():
                box = f"{name}___{code}"
                if box in rows:
                    hit |= rows[box].isin(["1", "Checked", muscle])
        elif name in rows:
            hit |= rows[name] != ""
    return hit


def _convert(records: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], dict[str, list[Origin]]]:
    """Canonical text tables of ``records`` (raw field names) and the origin of each of their rows."""
    if list(records.columns) and any(c not in _header_map().values() for c in records.columns):
        names, problems = _raw_headers([str(c) for c in records.columns])
        if problems:
            raise RecordsError(problems)
        records = records.set_axis([n or f"\x00drop{i}" for i, n in enumerate(names)], axis=1)
        records = records[[c for c in records.columns if not c.startswith("\x00drop")]]
    records = records.fillna("").astype(str)
    problems = []
    repeat = records.get("redcap_repeat_instrument", pd.Series("", index=records.index))
    form_of = {_norm(i.form): i.form for i in INSTRUMENTS} | {_norm(i.title): i.form for i in INSTRUMENTS}
    forms = repeat.map(lambda v: form_of.get(_norm(v), "?") if v else "")
    for i in forms.index[forms == "?"][:20]:
        problems.append(
            f"{_origin(records, i, repeat[i])}: {repeat[i]!r} is not an instrument of alscell's data dictionary"
        )
    tables: dict[str, pd.DataFrame] = {}
    origins: dict[str, list[Origin]] = {}
    for inst in INSTRUMENTS:
        rows = records[(forms == inst.form) | ((forms == "") & _filled(records, inst))]
        out = pd.DataFrame({"patient_id": rows["record_id"]})
        for col in inst.columns():
            name = inst.field(col)
            choices = _choices(col)
            if col == "target_muscles":
                picked = pd.Series("", index=rows.index)
                for code, muscle in _muscle_codes():
                    box = f"{name}___{code}"
                    if box not in rows.columns:
                        continue
                    hit = rows[box].isin(["1", "Checked", muscle])
                    odd = ~hit & ~rows[box].isin(["", "0", "Unchecked"])
                    for i in odd.index[odd][:20]:
                        problems.append(
                            f"{_origin(records, i, inst.form)}: {box} = {rows.at[i, box]!r} is neither checked "
                            "(1) nor unchecked (0)"
                        )
                    picked = picked.where(~hit, picked.where(picked == "", picked + ";") + muscle)
                out[col] = picked
                continue
            if name not in rows.columns:
                continue
            values = rows[name]
            if choices is not None:
                value_of = {c: v for c, v in choices} | {v: v for _, v in choices}
                value_of |= {k.casefold(): v for k, v in value_of.items()}
                mapped = values.map(lambda v, vo=value_of: vo.get(v, vo.get(v.casefold(), "\x00")) if v else "")
                for i in mapped.index[mapped == "\x00"][:20]:
                    problems.append(
                        f"{_origin(records, i, inst.form)}: {name} = {values[i]!r} is not a code or label of the "
                        f"dictionary ({' | '.join(f'{c}, {v}' for c, v in choices)})"
                    )
                values = mapped.where(mapped != "\x00", "")
            elif _is_bool(col):
                values = values.map(
                    lambda v: {"1": "true", "0": "false", "yes": "true", "no": "false"}.get(v.casefold(), v)
                )
            out[col] = values
        if inst.table == "patients" and AGE_90_PLUS in out and not (out[AGE_90_PLUS] != "").any():
            out = out.drop(columns=AGE_90_PLUS)
        if inst.repeating and rows.empty:
            continue  # an instrument without data: no file (a partial export need not carry its fields)
        tables[inst.table] = out.reset_index(drop=True)
        origins[inst.table] = [_origin(records, i, inst.form) for i in rows.index]
    if problems:
        raise RecordsError(problems)
    return tables, origins


def records_to_tables(records: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """REDCap records (all cells text; raw codes or labels; raw or label headers) as canonical text tables.

    Raises RecordsError (a ValueError) naming the record, event, instrument and instance of every cell that
    the dictionary cannot read (a code that is not in it, an unknown instrument or column).
    """
    return _convert(records)[0]


@dataclass
class Converted:
    """A canonical folder made from a REDCap records export, and where each of its rows came from."""

    folder: Path
    records_file: str
    origins: dict[str, list[Origin]]
    lines: dict[str, dict[int, Origin]] = field(default_factory=dict)

    def explain(self, problem: Problem) -> str:
        """``problem`` (found in the canonical folder) as a sentence about the REDCap export."""
        name = problem.file.removesuffix(".csv")
        if problem.stored is not None or name not in BY_TABLE:
            return str(problem)
        inst = BY_TABLE[name]
        where = self.records_file
        origin = self.lines.get(name, {}).get(problem.line) if problem.line is not None else None
        if origin is not None:
            where += f" {origin}"
        else:
            where += f" (instrument {inst.form})"
        if problem.column:
            col = problem.column
            if col == "patient_id":
                where += ", field record_id"
            elif col == "target_muscles":
                where += f", field {inst.field(col)} (checkboxes {inst.field(col)}___1…)"
            else:
                where += f", field {inst.field(col)}"
        shown = "" if problem.value is None else f" value {problem.value!r}:"
        named = f" (rule {problem.code})" if problem.code else ""
        return f"{where}:{shown} {problem.rule}{named}"

    def explain_all(self, problems: list[Problem]) -> list[str]:
        return [self.explain(p) for p in problems]


def convert_records(records_csv: str | Path, out_dir: str | Path) -> Converted:
    """Turn a REDCap records export into a canonical folder; keep the origin of every canonical row."""
    records_csv = Path(records_csv)
    tables, origins = _convert(read_records(records_csv))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    converted = Converted(out, records_csv.name, origins)
    for name in FILE_ORDER:
        if name not in tables:
            continue
        frame = tables[name]
        path = out / f"{name}.csv"
        csv_safe(frame).to_csv(path, index=False, lineterminator=CRLF)
        multiline = frame.apply(lambda s: s.str.contains("[\r\n]", regex=True, na=False)).to_numpy().any()
        if multiline:  # a quoted cell spans lines: ask the canonical reader which line each row starts on
            raw, _ = read_raw_table(path, name)
            lines = [int(x) for x in raw.index] if len(raw) == len(frame) else []
        else:
            lines = list(range(2, len(frame) + 2))
        converted.lines[name] = dict(zip(lines, origins[name], strict=False))
    return converted


def records_to_folder(records_csv: str | Path, out_dir: str | Path) -> Path:
    """Turn a REDCap records export into a canonical folder (read it with ``read_folder`` or import it)."""
    return convert_records(records_csv, out_dir).folder


__all__ = [
    "DICTIONARY_COLUMNS",
    "INSTRUMENTS",
    "Converted",
    "Origin",
    "RecordsError",
    "convert_records",
    "data_dictionary",
    "project_files",
    "read_records",
    "records_to_folder",
    "records_to_tables",
    "to_records",
    "write_redcap",
]
