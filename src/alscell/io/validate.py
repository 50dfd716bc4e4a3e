"""Validation of canonical data against spec/data-format.md and the impossible-data rules (docs/data-rules.md).

``validate_tables`` takes the raw text frames (every cell a string, '' = missing) of each file and returns
the typed frames plus every problem found, each naming file, line, column, value and rule (with the rule's
name).  ``validate_merged`` checks a folder together with what the registry already holds: the stored rows
the folder does not replace plus the folder's rows must satisfy every rule a fresh import of them would,
so a re-import can never store what an import into an empty database would reject.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alscell.domain.adverse_events import AE_TERMS, RELATEDNESS
from alscell.domain.measures import MEASURES
from alscell.domain.vocabulary import (
    BLINDED_ARMS,
    CELL_SOURCES,
    DONORS,
    EL_ESCORIAL,
    EVENTS,
    FOLLOW_UP_ENDING_EVENTS,
    MUSCLES,
    ONSET_SITES,
    ROUTES,
    SEXES,
    SIDES,
    SPECIMENS,
    VISIT_TYPES,
)
from alscell.io.columns import (
    ALSFRS_ITEMS,
    DATE_COLUMNS,
    FILE_ORDER,
    KEY_COLUMNS,
    MAX_LENGTH,
    REQUIRED,
    TABLES,
    kind_of,
)
from alscell.io.errors import Problem
from alscell.io.parsing import CodedColumn
from alscell.io.rawcsv import LINE_INDEX, NUL_FREE, Factorized
from alscell.io.writer import format_table

PATIENT_ID_RE = r"[A-Za-z0-9_.-]{1,64}"
# alsfrs.rater (docs/data-rules.md, "Canonical extensions"): the clinic's pseudonym for the person who rated the
# visit (e.g. R07, nurse-3), never a name: letters, digits, '.', '_' and '-' only, so no space (a name has one).
RATER_RE = r"[A-Za-z0-9_.-]{1,40}"
RATER_RULE = "must be the rater's pseudonym, not a name: 1-40 characters of A-Z a-z 0-9 . _ - (no spaces)"
DEFAULT_PROBLEM_LIMIT = 1000
EARLIEST_DATE = dt.date(1900, 1, 1)
ASSESSORS = ("clinician", "self", "caregiver", "phone")
STORED_LINE = 0  # line label of a registry row merged in by validate_merged

# The tables whose rows the rules for a row of each table read (the rules of spec/data-format.md as
# _validate checks them).  A visit or a measurement needs its patient (known, onset), the events (death,
# end of follow-up) and its own table (duplicates); no rule of another table reads it.  A single row entered
# in the web app is validated against the patient's rows of these tables only (tests/io/test_rule_scope.py
# checks the answers are those of the patient's whole record); any other row, against every table.
RULE_TABLES: dict[str, tuple[str, ...]] = {
    "alsfrs": ("patients", "alsfrs", "events"),
    "measurements": ("patients", "measurements", "events"),
}


def rule_tables(name: str) -> tuple[str, ...]:
    """The tables a new or changed row of ``name`` is validated against (see RULE_TABLES)."""
    return RULE_TABLES.get(name, tuple(FILE_ORDER))


# Allowed values of enumerated columns (spec/data-format.md).
CHOICES: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "onset_site": ONSET_SITES,
    "el_escorial": EL_ESCORIAL,
    "cell_source": CELL_SOURCES,
    "donor": DONORS,
    "route": ROUTES,
    "blinded_arm": BLINDED_ARMS,
    "term": AE_TERMS,
    "relatedness": RELATEDNESS,
    "event": EVENTS,
    "side": SIDES,
    "muscle": MUSCLES,
    "specimen": SPECIMENS,
    "measure": tuple(MEASURES),
    "assessor": ASSESSORS,
    "visit_type": VISIT_TYPES,
}

# Text columns with a format of their own: (pattern the whole value must match, rule name, rule).
FORMATS: dict[str, tuple[str, str, str]] = {"rater": (RATER_RE, "bad_rater", RATER_RULE)}

_MALFORMED = {
    "date": ("bad_date", "must be a date YYYY-MM-DD"),
    "int": ("bad_integer", "must be a whole number"),
    "float": ("bad_number", "must be a finite number"),
    "bool": ("bad_boolean", "must be 'true' or 'false'"),
}


@dataclass
class RegistryContext:
    """What the registry already holds that cross-file rules need (empty for a fresh database)."""

    onset: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))  # by patient_id
    treatment_patient: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # treatment_id -> patient
    follow_up_end: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))  # by patient_id
    last_visit: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))  # by patient_id


def _stored_key(name: str, raw: pd.DataFrame, pos: int) -> str:
    return " ".join(str(raw[c].iat[pos]) for c in KEY_COLUMNS[name] if c in raw.columns and raw[c].iat[pos] != "")


class _Problems:
    """Collects problems up to a limit while counting all of them; can skip known stored-row problems."""

    def __init__(self, limit: int, ignore: frozenset[tuple] = frozenset()):
        self.limit = limit
        self.items: list[Problem] = []
        self.total = 0
        self.on_stored_rows = 0
        self.ignore = ignore
        self.lines: dict[str, np.ndarray] = {}  # physical line of each row by table, when known

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(problem)

    def mask(self, file: str, raw: pd.DataFrame, mask, column: str | None, code: str, rule: str) -> None:
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(positions):
            return
        source = raw[column] if column in raw.columns else None
        labels = self.lines.get(file)
        lines = labels[positions] if labels is not None else positions + 2
        for pos, line in zip(positions, lines, strict=True):
            value = None if source is None else str(source.iat[pos])
            if line == STORED_LINE:
                key = _stored_key(file, raw, int(pos))
                if (file, key, column, code) in self.ignore:
                    continue
                self.on_stored_rows += 1
                problem = Problem(f"{file}.csv", None, column, value, rule, code, key)
            else:
                problem = Problem(f"{file}.csv", int(line), column, value, rule, code)
            self.add(problem)


def _check_header(name: str, raw: pd.DataFrame, problems: _Problems) -> bool:
    ok = True
    known = set(TABLES[name])
    for col in raw.columns:
        if col not in known and not col.startswith("x_"):
            problems.add(
                Problem(
                    f"{name}.csv", 1, col, None, "unknown column (extra columns must start with 'x_')", "unknown_column"
                )
            )
            ok = False
    for col in REQUIRED[name]:
        if col not in raw.columns:
            problems.add(Problem(f"{name}.csv", 1, col, None, "required column is missing", "missing_column"))
            ok = False
    if name == "alsfrs" and not any(q in raw.columns for q in ALSFRS_ITEMS):
        problems.add(Problem(f"{name}.csv", 1, None, None, "no ALSFRS-R item columns (q1 ... q12)", "no_item_columns"))
        ok = False
    return ok


def _typed(
    name: str,
    raw: pd.DataFrame,
    problems: _Problems,
    coded: dict[str, CodedColumn],
    *,
    check_nul: bool = True,
    known: Factorized | None = None,
) -> pd.DataFrame:
    """Parse every known column; report malformed cells, missing required values and bad choices.

    Each column is factorised once (``coded``, kept for the cross-row rules): every check below runs on
    the distinct texts of the column and is spread to the cells by their codes.
    """
    out = {}
    for col in raw.columns:
        c = coded[col] = CodedColumn.parse(raw[col], kind_of(col), check_nul=check_nul, known=(known or {}).get(col))
        bad = c.malformed()
        if bad.any():
            problems.mask(name, raw, bad, col, *_MALFORMED[c.kind])
        # A unitless measure (munix) has an empty unit: the unit check below covers that column.
        if col in REQUIRED[name] and not (name == "measurements" and col == "unit"):
            empty = c.empty()
            if empty.any():
                problems.mask(name, raw, empty, col, "required_value", "required value is missing")
        if col in CHOICES:
            invalid = ~c.empty() & ~c.isin_text(CHOICES[col])
            if invalid.any():
                problems.mask(name, raw, invalid, col, "bad_choice", "must be one of: " + ", ".join(CHOICES[col]))
        if col in FORMATS:
            pattern, code, rule = FORMATS[col]
            fits = c.cells(c.text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool))
            unfit = ~c.empty() & ~fits
            if unfit.any():
                problems.mask(name, raw, unfit, col, code, rule)
        if col in MAX_LENGTH and col not in ("patient_id", "site", *FORMATS):  # these have their own format rule
            long = c.longer_than(MAX_LENGTH[col])
            if long.any():
                problems.mask(name, raw, long, col, "too_long", f"must be at most {MAX_LENGTH[col]} characters")
        out[col] = c.typed(raw.index)
    return pd.DataFrame(out, index=raw.index, copy=False)


def _range(name, raw, typed, problems, col, low, high, code, rule):
    if col not in typed:
        return
    v = typed[col].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(v) & ((v < low) | (v > high))
    if bad.any():
        problems.mask(name, raw, bad, col, code, rule)


def _duplicates(name, raw, coded: dict[str, CodedColumn], problems, keys, code, rule, column=None):
    cols = [k for k in keys if k in coded]
    if len(cols) != len(keys):
        return
    # On the typed values: missing values compare equal to each other, as '' did in the text.
    dup = _repeated_rows([coded[c].key_codes() for c in cols])
    if dup.any():
        problems.mask(name, raw, dup, column or keys[0], code, rule)


def _repeated_rows(codes: list[np.ndarray]) -> np.ndarray:
    """Rows whose tuple of codes (non-negative ints) appeared on an earlier row."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c in codes:
        width = int(c.max()) + 1 if len(c) else 1
        if int(key.max(initial=0)) + 1 > np.iinfo(np.int64).max // width:  # renumber before overflowing
            key = pd.factorize(key)[0].astype(np.int64)
        key = key * width + c
    # A stable sort puts equal keys together in row order: every one after the first is a repeat.  (A hash
    # table, as pandas' duplicated, needs about twice this memory on a registry's millions of rows.)
    order = np.argsort(key, kind="stable")
    key = key[order]
    repeat = np.zeros(len(key), dtype=bool)
    repeat[order[1:][key[1:] == key[:-1]]] = True
    return repeat


def _id_format(name, raw, problems, col):
    if col not in raw:
        return
    bad = ~(raw[col].str.fullmatch(PATIENT_ID_RE).fillna(False)).to_numpy() & (raw[col] != "").to_numpy()
    problems.mask(name, raw, bad, col, "id_format", "must be 1-64 characters of A-Z a-z 0-9 _ . -")


def _dates_in_range(name, raw, typed, problems, today: dt.date):
    latest, earliest = pd.Timestamp(today), pd.Timestamp(EARLIEST_DATE)
    for col in sorted(DATE_COLUMNS & set(typed.columns)):
        d = typed[col]
        problems.mask(name, raw, (d > latest).to_numpy(), col, "date_in_future", f"is after today ({today})")
        problems.mask(name, raw, (d < earliest).to_numpy(), col, "date_before_1900", "is before 1900-01-01")


def validate_tables(
    raw_tables: Mapping[str, pd.DataFrame],
    context: RegistryContext | None = None,
    *,
    limit: int = DEFAULT_PROBLEM_LIMIT,
    today: dt.date | None = None,
    factorized: Mapping[str, Factorized] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[Problem], int]:
    """Validate raw text frames; return (typed frames, problems up to ``limit``, total problem count).

    ``factorized``: the reader's column codes by file (io.rawcsv.read_raw_folder).  The typed frames have
    a plain 0..n-1 index.
    """
    problems = _Problems(limit)
    typed = _validate(raw_tables, context, problems, today or dt.date.today(), factorized=factorized)
    return typed, problems.items, problems.total  # _validate gives every frame a 0..n-1 index


def _validate(
    raw_tables: Mapping[str, pd.DataFrame | None],
    context: RegistryContext | None,
    problems: _Problems,
    today: dt.date,
    *,
    check_headers: bool = True,
    factorized: Mapping[str, Factorized] | None = None,
) -> dict[str, pd.DataFrame]:
    ctx = context or RegistryContext()
    typed: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    coded: dict[str, dict[str, CodedColumn]] = {}
    headers_ok = True
    for name in FILE_ORDER:
        raw = raw_tables.get(name)
        if raw is None:  # an absent file other than patients.csv means no rows (spec/data-format.md)
            raw = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[name]})
        if check_headers and not _check_header(name, raw, problems):
            headers_ok = False
            continue
        if raw.index.name == LINE_INDEX:
            problems.lines[name] = raw.index.to_numpy()
        # The reader's frames hold no NUL (a file with one is refused before): no scan for it then.
        nul_free = bool(raw.attrs.get(NUL_FREE))
        raw = raw.copy(deep=False)  # a new 0..n-1 index without copying (and consolidating) the cells
        raw.index = pd.RangeIndex(len(raw))
        raws[name] = raw
        coded[name] = {}
        known = (factorized or {}).get(name)
        typed[name] = _typed(name, raw, problems, coded[name], check_nul=not nul_free, known=known)
    if not headers_ok:
        return {}
    p, t, a, m, ae, ev = (typed[n] for n in FILE_ORDER)
    for name in FILE_ORDER:
        _dates_in_range(name, raws[name], typed[name], problems, today)

    # patients.csv
    _id_format("patients", raws["patients"], problems, "patient_id")
    _id_format("patients", raws["patients"], problems, "site")
    _duplicates(
        "patients",
        raws["patients"],
        coded["patients"],
        problems,
        ["patient_id"],
        "duplicate_id",
        "patient_id is not unique",
    )
    _range(
        "patients",
        raws["patients"],
        p,
        problems,
        "birth_year",
        1900,
        today.year,
        "birth_year_range",
        f"must be between 1900 and {today.year}",
    )
    if "birth_year" in p:
        late = (p["birth_year"].astype("Float64") > p["onset_date"].dt.year).fillna(False).to_numpy(dtype=bool)
        problems.mask("patients", raws["patients"], late, "birth_year", "birth_after_onset", "is after the onset year")
    if "diagnosis_date" in p:
        bad = (p["diagnosis_date"] < p["onset_date"]).to_numpy()
        problems.mask(
            "patients",
            raws["patients"],
            bad,
            "diagnosis_date",
            "diagnosis_before_onset",
            "must not be before onset_date",
        )

    # Onset date of every known patient: the folder's row wins over the stored one.
    folder_onset = p.drop_duplicates("patient_id").set_index("patient_id")["onset_date"]
    onset = pd.concat([ctx.onset[~ctx.onset.index.isin(folder_onset.index)], folder_onset])
    known_ids = set(onset.index)

    # Death date of every patient: the first death event (folder and, with a context, nothing stored).
    deaths = ev[ev["event"] == "death"]
    death = deaths.groupby("patient_id")["date"].min() if len(deaths) else pd.Series(dtype="datetime64[ns]")

    def check_patient_and_onset(name, frame, date_col, code_before, rule_before):
        raw = raws[name]
        ids = coded[name]["patient_id"]
        unknown = ~ids.isin(known_ids) & ids.present()
        problems.mask(
            name,
            raw,
            unknown,
            "patient_id",
            "unknown_patient",
            "unknown patient (not in patients.csv nor in the registry)",
        )
        if date_col:
            check_before_onset(name, frame, date_col, code_before, rule_before)

    def check_before_onset(name, frame, date_col, code, rule):
        if date_col in frame:
            before = (frame[date_col] < coded[name]["patient_id"].map(onset)).to_numpy()
            problems.mask(name, raws[name], before, date_col, code, rule)

    def check_after_death(name, frame, cols, code, rule, extra_mask=None):
        if not len(frame) or not len(death):
            return
        their_death = coded[name]["patient_id"].map(death)
        for col in cols:
            if col in frame:
                after = (frame[col] > their_death).fillna(False).to_numpy(dtype=bool)
                if extra_mask is not None:
                    after &= extra_mask
                problems.mask(name, raws[name], after, col, code, rule)

    # treatments.csv
    check_patient_and_onset(
        "treatments",
        t,
        "date",
        "treatment_before_onset",
        "administration date is before the patient's onset_date",
    )
    check_after_death("treatments", t, ["date"], "treatment_after_death", "administration after the patient's death")
    if "decision_date" in t:  # the optional extension (docs/data-rules.md)
        check_before_onset(
            "treatments",
            t,
            "decision_date",
            "decision_before_onset",
            "the decision to treat is dated before the patient's onset_date",
        )
        problems.mask(
            "treatments",
            raws["treatments"],
            (t["decision_date"] > t["date"]).to_numpy(),
            "decision_date",
            "decision_after_treatment",
            "the decision to treat is dated after the administration it led to",
        )
    _duplicates(
        "treatments",
        raws["treatments"],
        coded["treatments"],
        problems,
        ["treatment_id"],
        "duplicate_id",
        "treatment_id is not unique",
    )
    _duplicates(
        "treatments",
        raws["treatments"],
        coded["treatments"],
        problems,
        ["patient_id", "cycle"],
        "duplicate_cycle",
        "the patient already has an administration with this cycle number",
        column="cycle",
    )
    _range("treatments", raws["treatments"], t, problems, "cycle", 1, np.inf, "cycle_range", "cycle must be 1 or more")
    _range(
        "treatments",
        raws["treatments"],
        t,
        problems,
        "dose_cells",
        np.nextafter(0, 1),
        np.inf,
        "dose_range",
        "dose_cells must be > 0",
    )
    _range(
        "treatments",
        raws["treatments"],
        t,
        problems,
        "viability_pct",
        0,
        100,
        "viability_range",
        "viability_pct must be between 0 and 100",
    )
    _range(
        "treatments",
        raws["treatments"],
        t,
        problems,
        "passage",
        0,
        np.inf,
        "passage_range",
        "passage must be 0 or more",
    )
    if len(t):
        im = (t["route"] == "intramuscular").to_numpy()
        tm = t["target_muscles"] if "target_muscles" in t else pd.Series(None, index=t.index, dtype=object)
        has = tm.notna().to_numpy()
        problems.mask(
            "treatments",
            raws["treatments"],
            im & ~has,
            "target_muscles",
            "target_muscles_required",
            "required for an intramuscular administration",
        )
        problems.mask(
            "treatments",
            raws["treatments"],
            ~im & has & t["route"].notna().to_numpy(),
            "target_muscles",
            "target_muscles_not_allowed",
            "only allowed for an intramuscular administration",
        )
        if has.any():
            parts = tm[has].str.split(";")
            bad_musc = parts.map(lambda xs: any(x.strip() not in MUSCLES for x in xs)).to_numpy()
            full = np.zeros(len(t), dtype=bool)
            full[np.flatnonzero(has)[bad_musc]] = True
            problems.mask(
                "treatments",
                raws["treatments"],
                full,
                "target_muscles",
                "unknown_muscle",
                "';'-separated muscle keys, each one of: " + ", ".join(MUSCLES),
            )

    # alsfrs.csv
    check_patient_and_onset("alsfrs", a, "date", "visit_before_onset", "visit date is before the patient's onset_date")
    for q in ALSFRS_ITEMS:
        _range("alsfrs", raws["alsfrs"], a, problems, q, 0, 4, "item_range", "ALSFRS-R items are integers 0-4")
    if "q5a" in a and "q5b" in a:
        both = (a["q5a"].notna() & a["q5b"].notna()).to_numpy()
        problems.mask(
            "alsfrs",
            raws["alsfrs"],
            both,
            "q5b",
            "q5_both",
            "only one of q5a (no gastrostomy) and q5b (gastrostomy) may be filled",
        )
    ca = coded["alsfrs"]
    if "rater" in ca and "assessor" in ca:
        # A self-report is rated by the patient: a clinic rater's pseudonym on it contradicts its assessor (the
        # web form and the API refuse it too; FHIR would name the clinic's Practitioner as its performer).
        # Only a well-formed pseudonym: a malformed one already has its problem (bad_rater), one per cell.
        rater = ca["rater"]
        well_formed = rater.cells(rater.text.str.fullmatch(RATER_RE).fillna(False).to_numpy(dtype=bool))
        rated_self = ca["assessor"].isin_text(("self",)) & well_formed
        if rated_self.any():
            problems.mask(
                "alsfrs",
                raws["alsfrs"],
                rated_self,
                "rater",
                "rater_on_self_report",
                "a self-report (assessor self) has no rater: the patient rated it; leave rater empty",
            )
    _duplicates(
        "alsfrs",
        raws["alsfrs"],
        coded["alsfrs"],
        problems,
        ["patient_id", "date"],
        "duplicate_visit",
        "more than one ALSFRS-R row for this patient and date",
    )

    # measurements.csv
    check_patient_and_onset("measurements", m, None, "", "")
    if len(m):
        raw = raws["measurements"]
        measure = coded["measurements"]["measure"]
        is_known = measure.isin(MEASURES)
        wanted = pd.Series(measure.values).map({k: v.unit for k, v in MEASURES.items()})
        unit_col = coded["measurements"]["unit"]
        if unit_col.text.is_unique:
            # Per distinct value, as the other checks: the code (in the unit column) of the unit each
            # distinct measure wants, -1 where no cell holds that text; a cell is wrong where its code differs.
            unit_code = pd.Series(np.arange(len(unit_col.text)), index=unit_col.text.to_numpy())
            want_code = wanted.map(unit_code).fillna(-1).to_numpy(dtype=np.int64)
            bad_unit = is_known & (unit_col.codes != want_code[measure.codes])
        else:  # a column holding a NUL is not factorised (io.parsing.factorize_cells): cell by cell
            want_text = wanted.to_numpy(dtype=object)[measure.codes]
            bad_unit = is_known & (m["unit"].fillna("").to_numpy(dtype=object) != want_text)
        problems.mask(
            "measurements",
            raw,
            bad_unit,
            "unit",
            "unit_mismatch",
            "unit does not match the measure's unit ("
            + ", ".join(f"{k}: '{v.unit}'" for k, v in MEASURES.items())
            + ")",
        )
        lo = measure.map({k: v.low for k, v in MEASURES.items()}).to_numpy(dtype=float)
        hi = measure.map({k: v.high for k, v in MEASURES.items()}).to_numpy(dtype=float)
        value = m["value"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            out = is_known & ~np.isnan(value) & ((value < lo) | (value > hi))
        del lo, hi
        if out.any():
            for key in m.loc[out, "measure"].unique():
                spec = MEASURES[key]
                problems.mask(
                    "measurements",
                    raw,
                    out & (m["measure"] == key).to_numpy(),
                    "value",
                    "value_range",
                    f"{key} must be between {spec.low:g} and {spec.high:g} {spec.unit}".rstrip(),
                )
        for qual, attr in (("muscle", "needs_muscle"), ("specimen", "needs_specimen")):
            needs = measure.isin([k for k, v in MEASURES.items() if getattr(v, attr)])
            have = m[qual].notna().to_numpy() if qual in m else np.zeros(len(m), dtype=bool)
            problems.mask("measurements", raw, needs & ~have, qual, "qualifier_required", "required for this measure")
        _duplicates(
            "measurements",
            raw,
            coded["measurements"],
            problems,
            ["patient_id", "date", "measure", *[c for c in ("side", "muscle", "specimen") if c in m]],
            "duplicate_measurement",
            "duplicate measurement (same patient, date, measure, side, muscle and specimen)",
        )

    # adverse_events.csv
    check_patient_and_onset("adverse_events", ae, None, "", "")
    check_after_death(
        "adverse_events",
        ae,
        ["onset_date", "resolved_date"],
        "adverse_event_after_death",
        "adverse event dated after the patient's death",
    )
    _duplicates(
        "adverse_events",
        raws["adverse_events"],
        coded["adverse_events"],
        problems,
        ["ae_id"],
        "duplicate_id",
        "ae_id is not unique",
    )
    _range(
        "adverse_events", raws["adverse_events"], ae, problems, "grade", 1, 5, "grade_range", "CTCAE grade must be 1-5"
    )
    if "resolved_date" in ae:
        bad = (ae["resolved_date"] < ae["onset_date"]).to_numpy()
        problems.mask(
            "adverse_events",
            raws["adverse_events"],
            bad,
            "resolved_date",
            "resolved_before_onset",
            "must not be before onset_date",
        )
    if "treatment_id" in ae and len(ae):
        folder_t = t.drop_duplicates("treatment_id").set_index("treatment_id")
        owner = pd.concat([ctx.treatment_patient, folder_t["patient_id"]])
        owner = owner[~owner.index.duplicated(keep="last")]
        given = ae["treatment_id"].notna()
        their = ae["treatment_id"].map(owner)
        problems.mask(
            "adverse_events",
            raws["adverse_events"],
            (given & their.isna()).to_numpy(),
            "treatment_id",
            "unknown_treatment",
            "unknown treatment_id (not in treatments.csv nor in the registry)",
        )
        problems.mask(
            "adverse_events",
            raws["adverse_events"],
            (given & their.notna() & (their != ae["patient_id"])).to_numpy(),
            "treatment_id",
            "treatment_of_another_patient",
            "the administration belongs to another patient",
        )
        given_on = ae["treatment_id"].map(folder_t["date"])
        early = (ae["onset_date"] < given_on).fillna(False).to_numpy(dtype=bool)
        problems.mask(
            "adverse_events",
            raws["adverse_events"],
            early,
            "onset_date",
            "adverse_event_before_treatment",
            "the adverse event starts before the administration it is attributed to",
        )

    # events.csv and the end of follow-up
    check_patient_and_onset("events", ev, None, "", "")
    _duplicates(
        "events",
        raws["events"],
        coded["events"],
        problems,
        ["patient_id", "date", "event"],
        "duplicate_event",
        "duplicate event",
    )
    if len(deaths):
        second = np.zeros(len(ev), dtype=bool)
        second[ev.index.get_indexer(deaths.index[deaths.duplicated("patient_id", keep=False)])] = True
        second &= (ev["date"] > ev["patient_id"].map(death)).to_numpy()
        problems.mask("events", raws["events"], second, "event", "two_deaths", "the patient already has a death event")
        check_after_death(
            "events",
            ev,
            ["date"],
            "event_after_death",
            "event after the patient's death",
            extra_mask=(ev["event"] != "death").to_numpy(),
        )
    ending = ev[ev["event"].isin(FOLLOW_UP_ENDING_EVENTS)]
    end = pd.concat([ctx.follow_up_end, ending.groupby("patient_id")["date"].min()])
    end = end.groupby(level=0).min() if len(end) else end
    for name in ("alsfrs", "measurements"):
        frame = typed[name]
        if len(frame) and len(end):
            limit_date = coded[name]["patient_id"].map(end)
            after = (frame["date"] > limit_date).to_numpy()
            if after.any():
                problems.mask(
                    name,
                    raws[name],
                    after,
                    "date",
                    "visit_after_end_of_follow_up",
                    "visit after the end of follow-up (death, withdrawal or lost to follow-up in events.csv)",
                )
    if len(ending) and len(ctx.last_visit):
        stored_last = ending["patient_id"].map(ctx.last_visit)
        bad = (ending["date"] < stored_last).to_numpy()
        positions = np.zeros(len(ev), dtype=bool)
        positions[ev.index.get_indexer(ending.index[bad])] = True
        problems.mask(
            "events",
            raws["events"],
            positions,
            "date",
            "visits_after_end_of_follow_up",
            "the registry already holds visits after this date",
        )

    problems.items.sort(
        key=lambda pr: (
            FILE_ORDER.index(pr.file.removesuffix(".csv")) if pr.file.endswith(".csv") else -1,
            pr.line or 0,
        )
    )
    return typed


def _stored_text(stored: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Stored typed tables as canonical text frames labelled as stored rows."""
    out: dict[str, pd.DataFrame] = {}
    for name in FILE_ORDER:
        frame = stored.get(name)
        if frame is None or not len(frame):
            out[name] = None
            continue
        text = format_table(name, frame)
        text.index = pd.Index(np.full(len(text), STORED_LINE, dtype=np.int64), name=LINE_INDEX)
        out[name] = text
    return out


def _row_keys(name: str, frame: pd.DataFrame) -> pd.Series:
    cols = [frame[c] if c in frame.columns else pd.Series("", index=frame.index) for c in KEY_COLUMNS[name]]
    key = cols[0].astype(str)
    for c in cols[1:]:
        key = key + "\x1f" + c.astype(str)
    return key


def _merge(incoming: Mapping[str, pd.DataFrame], stored_text: Mapping[str, pd.DataFrame | None]) -> dict:
    """Stored rows the folder does not replace, then the folder's rows (text frames, union of columns)."""
    merged: dict[str, pd.DataFrame | None] = {}
    for name in FILE_ORDER:
        new, old = incoming.get(name), stored_text.get(name)
        if old is None:
            merged[name] = new
            continue
        if new is None:
            merged[name] = old
            continue
        kept = old[~_row_keys(name, old).isin(set(_row_keys(name, new))).to_numpy()]
        columns = list(dict.fromkeys([*new.columns, *old.columns]))
        merged[name] = pd.concat(
            [kept.reindex(columns=columns, fill_value=""), new.reindex(columns=columns, fill_value="")]
        )
    return merged


def validate_merged(
    raw_tables: Mapping[str, pd.DataFrame],
    stored: Mapping[str, pd.DataFrame],
    *,
    limit: int = DEFAULT_PROBLEM_LIMIT,
    today: dt.date | None = None,
) -> tuple[dict[str, pd.DataFrame], list[Problem], int]:
    """Validate the folder ``raw_tables`` (raw text frames) merged with the ``stored`` typed tables.

    Returns the typed frames of the folder's rows only, the problems and their total.  A problem on a
    stored row is reported with that row's key; one the registry already had on its own (data stored under
    older rules) is not the folder's fault and is left out.
    """
    today = today or dt.date.today()
    problems = _Problems(limit)
    for name in FILE_ORDER:
        if raw_tables.get(name) is not None:
            _check_header(name, raw_tables[name], problems)
    if problems.total:
        return {}, problems.items, problems.total
    stored_text = _stored_text(stored)
    merged = _merge(raw_tables, stored_text)
    typed = _validate(merged, None, problems, today, check_headers=False)
    if problems.on_stored_rows:
        alone = _Problems(np.iinfo(np.int64).max)
        _validate(stored_text, None, alone, today, check_headers=False)
        ignore = frozenset((p.file.removesuffix(".csv"), p.stored, p.column, p.code) for p in alone.items)
        problems = _Problems(limit, ignore)
        typed = _validate(merged, None, problems, today, check_headers=False)
    folder_rows = {}
    for name in FILE_ORDER:
        frame, lines = typed[name], problems.lines.get(name)
        mine = frame[lines != STORED_LINE] if lines is not None else frame
        folder_rows[name] = mine.reset_index(drop=True)
    return folder_rows, problems.items, problems.total
