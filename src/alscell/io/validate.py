"""Validation of a canonical data folder against spec/data-format.md.

``validate_tables`` takes the raw text frames (every cell a string, '' = missing) of each file and returns
the typed frames plus every problem found, each naming file, line, column, value and rule.  Cross-file
rules (patient exists, dates after onset, no visit after death, AE attributed to one of the patient's
administrations) also look at what the registry already holds (``RegistryContext``), so a folder that adds
visits to stored patients is checked against them.
"""

from __future__ import annotations

import datetime as dt
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
)
from alscell.io.columns import ALSFRS_ITEMS, FILE_ORDER, REQUIRED, TABLES, kind_of
from alscell.io.errors import Problem
from alscell.io.parsing import PARSERS

PATIENT_ID_RE = r"[A-Za-z0-9_.-]{1,64}"
DEFAULT_PROBLEM_LIMIT = 1000

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
}


@dataclass
class RegistryContext:
    """What the registry already holds that cross-file rules need (empty for a fresh database)."""

    onset: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))  # by patient_id
    treatment_patient: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))  # treatment_id -> patient
    follow_up_end: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))  # by patient_id
    last_visit: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))  # by patient_id


class _Problems:
    """Collects problems up to a limit while counting all of them."""

    def __init__(self, limit: int):
        self.limit = limit
        self.items: list[Problem] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(problem)

    def mask(self, file: str, raw: pd.DataFrame, mask, column: str | None, rule: str, shown: pd.Series | None = None):
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        self.total += len(positions)
        room = max(self.limit - len(self.items), 0)
        source = shown if shown is not None else (raw[column] if column in raw.columns else None)
        for pos in positions[:room]:
            value = None if source is None else str(source.iat[pos])
            self.items.append(Problem(f"{file}.csv", int(pos) + 2, column, value, rule))


def _check_header(name: str, raw: pd.DataFrame, problems: _Problems) -> bool:
    ok = True
    known = set(TABLES[name])
    for col in raw.columns:
        if col not in known and not col.startswith("x_"):
            problems.add(Problem(f"{name}.csv", 1, col, None, "unknown column (extra columns must start with 'x_')"))
            ok = False
    for col in REQUIRED[name]:
        if col not in raw.columns:
            problems.add(Problem(f"{name}.csv", 1, col, None, "required column is missing"))
            ok = False
    if name == "alsfrs" and not any(q in raw.columns for q in ALSFRS_ITEMS):
        problems.add(Problem(f"{name}.csv", 1, None, None, "no ALSFRS-R item columns (q1 ... q12)"))
        ok = False
    return ok


def _typed(name: str, raw: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """Parse every known column; report malformed cells, missing required values and bad choices."""
    out = {}
    for col in raw.columns:
        kind = kind_of(col)
        values, bad = PARSERS[kind](raw[col])
        if bad.any():
            problems.mask(
                name,
                raw,
                bad,
                col,
                {
                    "date": "must be a date YYYY-MM-DD",
                    "int": "must be a whole number",
                    "float": "must be a finite number",
                    "bool": "must be 'true' or 'false'",
                }[kind],
            )
        # A unitless measure (munix) has an empty unit: the unit check below covers that column.
        if col in REQUIRED[name] and not (name == "measurements" and col == "unit"):
            missing = (raw[col] == "").to_numpy()
            if missing.any():
                problems.mask(name, raw, missing, col, "required value is missing")
        if col in CHOICES:
            invalid = ((raw[col] != "") & ~raw[col].isin(CHOICES[col])).to_numpy()
            if invalid.any():
                problems.mask(name, raw, invalid, col, "must be one of: " + ", ".join(CHOICES[col]))
        out[col] = values
    return pd.DataFrame(out, index=raw.index)


def _range(name, raw, typed, problems, col, low, high, rule):
    if col not in typed:
        return
    v = typed[col].astype(float)
    bad = (v.notna() & ((v < low) | (v > high))).to_numpy()
    if bad.any():
        problems.mask(name, raw, bad, col, rule)


def _duplicates(name, raw, typed, problems, keys, rule):
    cols = [k for k in keys if k in typed]
    if len(cols) != len(keys):
        return
    frame = typed[cols].astype(object).where(typed[cols].notna(), "")
    dup = frame.duplicated(keep="first").to_numpy()
    if dup.any():
        problems.mask(name, raw, dup, keys[0], rule)


def validate_tables(
    raw_tables: dict[str, pd.DataFrame],
    context: RegistryContext | None = None,
    *,
    limit: int = DEFAULT_PROBLEM_LIMIT,
    today: dt.date | None = None,
) -> tuple[dict[str, pd.DataFrame], list[Problem], int]:
    """Validate raw text frames; return (typed frames, problems up to ``limit``, total problem count)."""
    ctx = context or RegistryContext()
    today = today or dt.date.today()
    problems = _Problems(limit)
    typed: dict[str, pd.DataFrame] = {}
    for name in FILE_ORDER:
        raw = raw_tables.get(name)
        if raw is None:  # an absent file other than patients.csv means no rows (spec/data-format.md)
            raw = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[name]})
        if not _check_header(name, raw, problems):
            typed[name] = None  # type: ignore[assignment]
            continue
        typed[name] = _typed(name, raw, problems)
    if any(t is None for t in typed.values()):
        return {}, problems.items, problems.total

    raws = {n: raw_tables.get(n, typed[n].astype(object)) for n in FILE_ORDER}
    p, t, a, m, ae, ev = (typed[n] for n in FILE_ORDER)

    # patients.csv
    bad_id = (
        ~(raws["patients"]["patient_id"].str.fullmatch(PATIENT_ID_RE).fillna(False)).to_numpy()
        & (raws["patients"]["patient_id"] != "").to_numpy()
    )
    problems.mask("patients", raws["patients"], bad_id, "patient_id", "must be 1-64 characters of A-Z a-z 0-9 _ . -")
    _duplicates("patients", raws["patients"], p, problems, ["patient_id"], "patient_id is not unique")
    _range(
        "patients",
        raws["patients"],
        p,
        problems,
        "birth_year",
        1900,
        today.year,
        f"must be between 1900 and {today.year}",
    )
    if "diagnosis_date" in p:
        bad = (p["diagnosis_date"] < p["onset_date"]).to_numpy()
        problems.mask("patients", raws["patients"], bad, "diagnosis_date", "must not be before onset_date")

    # Onset date of every known patient: the folder's row wins over the stored one.
    folder_onset = p.drop_duplicates("patient_id").set_index("patient_id")["onset_date"]
    onset = pd.concat([ctx.onset[~ctx.onset.index.isin(folder_onset.index)], folder_onset])
    known_ids = set(onset.index)

    def check_patient_and_onset(name, frame, date_col, rule_before):
        raw = raws[name]
        unknown = (~frame["patient_id"].isin(known_ids) & frame["patient_id"].notna()).to_numpy()
        problems.mask(name, raw, unknown, "patient_id", "unknown patient (not in patients.csv nor in the registry)")
        if date_col and date_col in frame:
            their_onset = frame["patient_id"].map(onset)
            before = (frame[date_col] < their_onset).to_numpy()
            problems.mask(name, raw, before, date_col, rule_before)

    # treatments.csv
    check_patient_and_onset("treatments", t, "date", "administration date is before the patient's onset_date")
    _duplicates("treatments", raws["treatments"], t, problems, ["treatment_id"], "treatment_id is not unique")
    _range("treatments", raws["treatments"], t, problems, "cycle", 1, np.inf, "cycle must be 1 or more")
    _range(
        "treatments",
        raws["treatments"],
        t,
        problems,
        "dose_cells",
        np.nextafter(0, 1),
        np.inf,
        "dose_cells must be > 0",
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
            "required for an intramuscular administration",
        )
        problems.mask(
            "treatments",
            raws["treatments"],
            ~im & has & t["route"].notna().to_numpy(),
            "target_muscles",
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
                "';'-separated muscle keys, each one of: " + ", ".join(MUSCLES),
            )

    # alsfrs.csv
    check_patient_and_onset("alsfrs", a, "date", "visit date is before the patient's onset_date")
    for q in ALSFRS_ITEMS:
        _range("alsfrs", raws["alsfrs"], a, problems, q, 0, 4, "ALSFRS-R items are integers 0-4")
    if "q5a" in a and "q5b" in a:
        both = (a["q5a"].notna() & a["q5b"].notna()).to_numpy()
        problems.mask(
            "alsfrs",
            raws["alsfrs"],
            both,
            "q5b",
            "only one of q5a (no gastrostomy) and q5b (gastrostomy) may be filled",
        )
    _duplicates(
        "alsfrs",
        raws["alsfrs"],
        a,
        problems,
        ["patient_id", "date"],
        "more than one ALSFRS-R row for this patient and date",
    )

    # measurements.csv
    check_patient_and_onset("measurements", m, None, "")
    if len(m):
        raw = raws["measurements"]
        known = m["measure"].isin(MEASURES)
        unit_want = m["measure"].map({k: v.unit for k, v in MEASURES.items()})
        unit = m["unit"].fillna("")
        bad_unit = (known & (unit != unit_want)).to_numpy()
        problems.mask(
            "measurements",
            raw,
            bad_unit,
            "unit",
            "unit does not match the measure's unit ("
            + ", ".join(f"{k}: '{v.unit}'" for k, v in MEASURES.items())
            + ")",
        )
        lo = m["measure"].map({k: v.low for k, v in MEASURES.items()})
        hi = m["measure"].map({k: v.high for k, v in MEASURES.items()})
        out = (known & m["value"].notna() & ((m["value"] < lo) | (m["value"] > hi))).to_numpy()
        if out.any():
            for key in m.loc[out, "measure"].unique():
                spec = MEASURES[key]
                problems.mask(
                    "measurements",
                    raw,
                    out & (m["measure"] == key).to_numpy(),
                    "value",
                    f"{key} must be between {spec.low:g} and {spec.high:g} {spec.unit}".rstrip(),
                )
        for qual, attr in (("muscle", "needs_muscle"), ("specimen", "needs_specimen")):
            needs = m["measure"].map({k: getattr(v, attr) for k, v in MEASURES.items()}).eq(True)
            have = m[qual].notna() if qual in m else pd.Series(False, index=m.index)
            problems.mask("measurements", raw, (needs & ~have).to_numpy(), qual, "required for this measure")
        _duplicates(
            "measurements",
            raw,
            m,
            problems,
            ["patient_id", "date", "measure", "side", "muscle", "specimen"]
            if all(c in m for c in ("side", "muscle", "specimen"))
            else ["patient_id", "date", "measure", *[c for c in ("side", "muscle", "specimen") if c in m]],
            "duplicate measurement (same patient, date, measure, side, muscle and specimen)",
        )

    # adverse_events.csv
    check_patient_and_onset("adverse_events", ae, None, "")
    _duplicates("adverse_events", raws["adverse_events"], ae, problems, ["ae_id"], "ae_id is not unique")
    _range("adverse_events", raws["adverse_events"], ae, problems, "grade", 1, 5, "CTCAE grade must be 1-5")
    if "resolved_date" in ae:
        bad = (ae["resolved_date"] < ae["onset_date"]).to_numpy()
        problems.mask("adverse_events", raws["adverse_events"], bad, "resolved_date", "must not be before onset_date")
    if "treatment_id" in ae and len(ae):
        owner = pd.concat(
            [ctx.treatment_patient, t.drop_duplicates("treatment_id").set_index("treatment_id")["patient_id"]]
        )
        owner = owner[~owner.index.duplicated(keep="last")]
        given = ae["treatment_id"].notna()
        their = ae["treatment_id"].map(owner)
        problems.mask(
            "adverse_events",
            raws["adverse_events"],
            (given & their.isna()).to_numpy(),
            "treatment_id",
            "unknown treatment_id (not in treatments.csv nor in the registry)",
        )
        problems.mask(
            "adverse_events",
            raws["adverse_events"],
            (given & their.notna() & (their != ae["patient_id"])).to_numpy(),
            "treatment_id",
            "the administration belongs to another patient",
        )

    # events.csv and the end of follow-up
    check_patient_and_onset("events", ev, None, "")
    _duplicates("events", raws["events"], ev, problems, ["patient_id", "date", "event"], "duplicate event")
    ending = ev[ev["event"].isin(FOLLOW_UP_ENDING_EVENTS)]
    end = pd.concat([ctx.follow_up_end, ending.groupby("patient_id")["date"].min()])
    end = end.groupby(level=0).min() if len(end) else end
    for name in ("alsfrs", "measurements"):
        frame = typed[name]
        if len(frame) and len(end):
            limit_date = frame["patient_id"].map(end)
            after = (frame["date"] > limit_date).to_numpy()
            if after.any():
                problems.mask(
                    name,
                    raws[name],
                    after,
                    "date",
                    "visit after the end of follow-up (death, withdrawal or lost to follow-up in events.csv)",
                )
    if len(ending) and len(ctx.last_visit):
        stored_last = ending["patient_id"].map(ctx.last_visit)
        bad = (ending["date"] < stored_last).to_numpy()
        positions = np.zeros(len(ev), dtype=bool)
        positions[ev.index.get_indexer(ending.index[bad])] = True
        problems.mask("events", raws["events"], positions, "date", "the registry already holds visits after this date")

    problems.items.sort(key=lambda pr: (FILE_ORDER.index(pr.file.removesuffix(".csv")), pr.line or 0))
    return typed, problems.items, problems.total
