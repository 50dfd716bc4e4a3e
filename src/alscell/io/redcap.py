"""REDCap layout of alscell's instruments: data dictionary, records export, and records → canonical folder.

One REDCap record per patient (``record_id`` = ``patient_id``). ``demographics`` is the non-repeating
instrument; ``administration``, ``alsfrs_r``, ``measurement``, ``adverse_event`` and ``event`` are
repeating instruments (``redcap_repeat_instrument``, ``redcap_repeat_instance``), one instance per row of
the canonical table.  Enumerated columns are dropdowns coded ``1, label | 2, label`` (ALSFRS-R items keep
their 0–4 scores as codes), booleans are ``yesno``, ``target_muscles`` is a checkbox
(``adm_target_muscles___<code>``), dates are validated ``date_ymd``.  ``x_`` columns are not exported.

Import goes through the canonical reader (``records_to_folder`` writes a canonical folder), so it applies
exactly the same validation as ``alscell import``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alscell.domain.measures import MEASURES
from alscell.domain.vocabulary import MUSCLES
from alscell.io.columns import ALSFRS_ITEMS, REQUIRED, TABLES, kind_of
from alscell.io.rawcsv import read_raw_csv
from alscell.io.validate import CHOICES
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
REPEAT_COLUMNS = ("redcap_repeat_instrument", "redcap_repeat_instance")


@dataclass(frozen=True)
class Instrument:
    """One REDCap instrument: the canonical table it holds and the prefix of its field names."""

    form: str
    table: str
    prefix: str

    @property
    def repeating(self) -> bool:
        return self.table != "patients"

    def columns(self) -> list[str]:
        return [c for c in TABLES[self.table] if c != "patient_id"]

    def field(self, column: str) -> str:
        return self.prefix + column


INSTRUMENTS = (
    Instrument("demographics", "patients", "dem_"),
    Instrument("administration", "treatments", "adm_"),
    Instrument("alsfrs_r", "alsfrs", "frs_"),
    Instrument("measurement", "measurements", "mea_"),
    Instrument("adverse_event", "adverse_events", "ae_"),
    Instrument("event", "events", "evt_"),
)
BY_FORM = {i.form: i for i in INSTRUMENTS}
INT_RANGES = {"birth_year": ("1900", ""), "cycle": ("1", ""), "grade": ("1", "5"), "passage": ("0", "")}
FLOAT_RANGES = {"viability_pct": ("0", "100"), "dose_cells": ("0", "")}


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


def data_dictionary() -> pd.DataFrame:
    """The REDCap data dictionary (18 standard columns) of alscell's instruments; first field ``record_id``."""
    rows: list[dict[str, str]] = [
        {"Variable / Field Name": "record_id", "Form Name": "demographics", "Field Type": "text",
         "Field Label": "Patient id", "Identifier?": "y", "Required Field?": "y"}
    ]  # fmt: skip
    for inst in INSTRUMENTS:
        for col in inst.columns():
            row = {"Variable / Field Name": inst.field(col), "Form Name": inst.form, "Field Label": col}
            choices = _choices(col)
            kind = kind_of(col)
            if col == "target_muscles":
                row["Field Type"] = "checkbox"
                row["Choices, Calculations, OR Slider Labels"] = " | ".join(f"{c}, {m}" for c, m in _muscle_codes())
            elif choices is not None:
                row["Field Type"] = "dropdown"
                row["Choices, Calculations, OR Slider Labels"] = " | ".join(f"{c}, {v}" for c, v in choices)
            elif kind == "bool":
                row["Field Type"] = "yesno"
            else:
                row["Field Type"] = "text"
                if kind == "date":
                    row["Text Validation Type OR Show Slider Number"] = "date_ymd"
                elif kind == "int":
                    row["Text Validation Type OR Show Slider Number"] = "integer"
                    row["Text Validation Min"], row["Text Validation Max"] = INT_RANGES.get(col, ("", ""))
                elif kind == "float":
                    row["Text Validation Type OR Show Slider Number"] = "number"
                    row["Text Validation Min"], row["Text Validation Max"] = FLOAT_RANGES.get(col, ("", ""))
            if col == "unit":
                row["Field Note"] = "; ".join(f"{m.key}: {m.unit or '(none)'}" for m in MEASURES.values())
            if kind == "date" or col in ("treatment_id", "ae_id"):
                row["Identifier?"] = "y"
            if col in TABLES[inst.table] and col in REQUIRED[inst.table]:
                row["Required Field?"] = "y"
            rows.append(row)
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)).fillna("")


def to_records(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Canonical typed tables as a REDCap records export (raw codes, repeating instruments)."""
    columns = ["record_id", *REPEAT_COLUMNS]
    for inst in INSTRUMENTS:
        for col in inst.columns():
            if col == "target_muscles":
                columns += [f"{inst.field(col)}___{c}" for c, _ in _muscle_codes()]
            else:
                columns.append(inst.field(col))
    columns.append("demographics_complete")
    parts: list[pd.DataFrame] = []
    for inst in INSTRUMENTS:
        frame = tables.get(inst.table)
        if frame is None or frame.empty:
            continue
        frame = frame[[c for c in frame.columns if not c.startswith("x_")]]
        text = format_table(inst.table, frame.reset_index(drop=True))
        out = pd.DataFrame({"record_id": text["patient_id"]})
        if inst.repeating:
            out["redcap_repeat_instrument"] = inst.form
            out["redcap_repeat_instance"] = (text.groupby("patient_id").cumcount() + 1).astype(str)
        for col in inst.columns():
            values = text[col] if col in text else pd.Series("", index=text.index)
            choices = _choices(col)
            if col == "target_muscles":
                chosen = values.map(lambda v: {m.strip() for m in v.split(";")} if v else set())
                for code, muscle in _muscle_codes():
                    out[f"{inst.field(col)}___{code}"] = chosen.map(lambda s, m=muscle: "1" if m in s else "0")
            elif choices is not None:
                code_of = {v: c for c, v in choices}
                out[inst.field(col)] = values.map(lambda v, co=code_of: co.get(v, v) if v else "")
            elif kind_of(col) == "bool":
                out[inst.field(col)] = values.map({"true": "1", "false": "0", "": ""})
            else:
                out[inst.field(col)] = values
        if not inst.repeating:
            out["demographics_complete"] = "2"
        parts.append(out)
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    records = records.reindex(columns=columns).fillna("")
    # REDCap order: each record's non-repeating row first, then its repeating instances.
    rank = {inst.form: i for i, inst in enumerate(INSTRUMENTS)}
    order = records.assign(
        _form=records["redcap_repeat_instrument"].map(lambda f: rank.get(f, -1)),
        _inst=pd.to_numeric(records["redcap_repeat_instance"], errors="coerce").fillna(0),
    ).sort_values(["record_id", "_form", "_inst"], kind="stable")
    return records.loc[order.index].reset_index(drop=True)


def write_redcap(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> Path:
    """Write the data dictionary and the records of ``tables`` to ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dictionary = data_dictionary()
    csv_safe(dictionary, dictionary.columns).to_csv(out / DICTIONARY_FILE, index=False, lineterminator="\n")
    records = to_records(tables)
    text_fields = [inst.field(c) for inst in INSTRUMENTS for c in inst.columns() if kind_of(c) == "text"]
    safe = csv_safe(records, [c for c in ["record_id", *text_fields] if c in records.columns])
    safe.to_csv(out / RECORDS_FILE, index=False, lineterminator="\n")
    return out


def records_to_tables(records: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """REDCap records (all cells text; raw codes or labels) as canonical text tables.

    Raises ValueError naming the record, instrument and instance of a code that is not in the dictionary.
    """
    records = records.fillna("").astype(str)
    tables: dict[str, pd.DataFrame] = {}
    repeat = records.get("redcap_repeat_instrument", pd.Series("", index=records.index))
    for inst in INSTRUMENTS:
        if inst.repeating:
            rows = records[repeat == inst.form]
        else:
            rows = records[repeat == ""]
            owned = [inst.field(c) for c in inst.columns() if inst.field(c) in records.columns]
            rows = rows[(rows[owned] != "").any(axis=1)] if owned else rows.iloc[0:0]
        out = pd.DataFrame({"patient_id": rows["record_id"]})
        for col in inst.columns():
            name = inst.field(col)
            choices = _choices(col)
            if col == "target_muscles":
                picked = pd.Series("", index=rows.index)
                for code, muscle in _muscle_codes():
                    box = f"{name}___{code}"
                    if box in rows.columns:
                        hit = rows[box].isin(["1", "Checked"])
                        picked = picked.where(~hit, picked.where(picked == "", picked + ";") + muscle)
                out[col] = picked
                continue
            if name not in rows.columns:
                continue
            values = rows[name]
            if choices is not None:
                value_of = {c: v for c, v in choices} | {v: v for _, v in choices}
                bad = values[(values != "") & ~values.isin(list(value_of))]
                if len(bad):
                    i = bad.index[0]
                    where = f"record {records.at[i, 'record_id']}, instrument {inst.form}"
                    if inst.repeating:
                        where += f", instance {records.at[i, 'redcap_repeat_instance']}"
                    raise ValueError(f"{where}: {name} = {bad.iloc[0]!r} is not a code of the dictionary")
                values = values.map(lambda v, vo=value_of: vo.get(v, "") if v else "")
            elif kind_of(col) == "bool":
                values = values.map(
                    lambda v: {"1": "true", "0": "false", "yes": "true", "no": "false"}.get(v.lower(), v)
                )
            out[col] = values
        tables[inst.table] = out.reset_index(drop=True)
    return tables


def records_to_folder(records_csv: str | Path, out_dir: str | Path) -> Path:
    """Turn a REDCap records export into a canonical folder (read it with ``read_folder`` or import it)."""
    tables = records_to_tables(read_raw_csv(Path(records_csv)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        csv_safe(frame).to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    return out


__all__ = [
    "DICTIONARY_COLUMNS",
    "INSTRUMENTS",
    "data_dictionary",
    "records_to_folder",
    "records_to_tables",
    "to_records",
    "write_redcap",
]
