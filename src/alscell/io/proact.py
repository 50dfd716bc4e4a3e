"""PRO-ACT → alscell: the CSV tables of the PRO-ACT database as an untreated canonical cohort (docs/proact.md).

PRO-ACT (Pooled Resource Open-Access ALS Clinical Trials, ncri1.partners.org/ProACT) ships one CSV file per
form (``PROACT_DEMOGRAPHICS.csv``, ``PROACT_ALSHISTORY.csv``, ``PROACT_ALSFRS.csv``, ``PROACT_FVC.csv``,
``PROACT_SVC.csv``, ``PROACT_DEATHDATA.csv``, ``PROACT_RILUZOLE.csv``, ``PROACT_TREATMENT.csv``, …; the 2016
archive names them ``demographics.csv``, ``AlsHistory.csv``, ``alsfrs.csv`` …), one row per subject and
visit, keyed by ``subject_id``.  Real dates were removed: every time is a ``*_Delta`` in days from the
subject's trial day 0 (``ALSFRS_Delta``, ``Onset_Delta`` — negative, before day 0 —, ``Death_Days`` …).

``read_proact`` maps them to canonical text tables (``cohort = proact``, ids ``proact-<subject_id>``), each
day count turned into a date from a stated anchor (day 0 = ``anchor``, default :data:`DEFAULT_ANCHOR`), and
keeps where every canonical cell came from.  Rows that cannot be mapped (no day, original ALSFRS
respiratory item, FVC in litres without a predicted normal, subjects without onset …) are counted and
described in :attr:`ProactImport.notes`, one sentence per kind, never dropped silently.  Values that are
present but wrong are not repaired: unreadable numbers are problems here (naming the PRO-ACT file, line
and column), everything else goes through the canonical validation of ``alscell import`` (the CLI writes
:meth:`ProactImport.write` and imports that folder), whose problems :meth:`ProactImport.translate` names
back in PRO-ACT terms — so a PRO-ACT import is all or nothing like any other.

Column names are PRO-ACT's data dictionary as used by published PRO-ACT code (sources in docs/proact.md);
they are matched ignoring case and underscores, as releases differ (``Subject_Normal`` /
``subject_normal``, ``Subject_Liters__Trial_2_``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alscell.io.columns import ALSFRS_ITEMS, TABLES
from alscell.io.errors import Problem, ValidationError
from alscell.io.rawcsv import read_raw_table
from alscell.io.writer import csv_safe

# Day 0 of every subject when no anchor is given.  PRO-ACT removed the trial dates, so an imported cohort's
# calendar dates carry no meaning beyond the intervals between them; 2000-01-01 is an arbitrary round day
# that keeps onsets up to a century before and follow-up decades after it within alscell's date rules.
DEFAULT_ANCHOR = dt.date(2000, 1, 1)
COHORT = "proact"
ID_PREFIX = "proact-"
MAX_SUBJECT_ID = 64 - len(ID_PREFIX)
MISSING = frozenset({"", "na", "nan", "n/a", "."})  # explicit empty markers in PRO-ACT exports

TABLE_KEYS = ("DEMOGRAPHICS", "ALSHISTORY", "ALSFRS", "FVC", "SVC", "DEATHDATA", "RILUZOLE", "TREATMENT")
# ALSFRS(-R) items (Cedarbaum et al., J Neurol Sci 1999;169:13-21): items 1-9 are the same in the original
# ALSFRS and the ALSFRS-R; the revised scale replaced the original item 10 (Q10_Respiratory) by R1-R3.
ALSFRS_COLUMNS = {
    "Q1_Speech": "q1",
    "Q2_Salivation": "q2",
    "Q3_Swallowing": "q3",
    "Q4_Handwriting": "q4",
    "Q5a_Cutting_without_Gastrostomy": "q5a",
    "Q5b_Cutting_with_Gastrostomy": "q5b",
    "Q6_Dressing_and_Hygiene": "q6",
    "Q7_Turning_in_Bed": "q7",
    "Q8_Walking": "q8",
    "Q9_Climbing_Stairs": "q9",
    "R_1_Dyspnea": "q10",
    "R_2_Orthopnea": "q11",
    "R_3_Respiratory_Insufficiency": "q12",
}
R_COLUMNS = ("R_1_Dyspnea", "R_2_Orthopnea", "R_3_Respiratory_Insufficiency")
TRIALS = (1, 2, 3)
# Vital capacity trials of one visit: the largest is the result (ATS/ERS standardisation of spirometry,
# Miller et al., Eur Respir J 2005;26:319-38: "the largest FVC ... should be reported").
CAPACITY = {
    "FVC": ("Forced_Vital_Capacity_Delta", "Forced_Vital_Capacity_Units", "fvc_pct_pred"),
    "SVC": ("Slow_vital_Capacity_Delta", "Slow_Vital_Capacity_Units", "svc_pct_pred"),
}
LITRE_UNITS = frozenset({"liters", "litres", "liter", "litre", "l"})
PERCENT_UNITS = frozenset({"percentpredicted", "predicted", "percent", "pctpredicted"})
MAX_LITRES = 20.0  # no adult vital capacity reaches 20 L: above it an unlabelled value is not in litres
DAYS_PER_YEAR = 365.25


def _norm(name: str) -> str:
    """Column / file name as compared: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class Source:
    """Where the values of one canonical column came from: PRO-ACT file, physical line and column per row."""

    file: str | np.ndarray
    line: np.ndarray
    column: str | np.ndarray | None

    def at(self, pos: int) -> tuple[str, int, str | None]:
        file = self.file if isinstance(self.file, str) else str(self.file[pos])
        column = self.column if self.column is None or isinstance(self.column, str) else self.column[pos]
        return file, int(self.line[pos]), None if column in (None, "") else str(column)


@dataclass
class ProactImport:
    """Canonical text tables made from a PRO-ACT folder, where each cell came from, and what was left out."""

    tables: dict[str, pd.DataFrame]
    sources: dict[str, dict[str, Source]]
    raw: dict[str, pd.DataFrame]  # by PRO-ACT file name, index = physical line
    notes: list[str]
    anchor: dt.date
    counts: dict[str, int] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> Path:
        """Write the canonical folder (``alscell import`` reads it); row i of a table is on line i + 2."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables.items():
            extra = [c for c in frame.columns if c.startswith("x_")]
            # Free text kept on one line, so row i stays on line i + 2 (what translate relies on).
            frame = frame.assign(**{c: frame[c].astype(str).str.replace(r"[\r\n]+", " ", regex=True) for c in extra})
            csv_safe(frame).to_csv(out / f"{name}.csv", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        return out

    def translate(self, problem: Problem) -> Problem:
        """A canonical problem on the written folder, named by the PRO-ACT file, line and column it came from."""
        table = problem.file.removesuffix(".csv")
        if problem.stored is not None or problem.line is None or table not in self.sources:
            return problem
        sources = self.sources[table]
        src = sources.get(problem.column or "", sources[""])
        file, line, column = src.at(problem.line - 2)
        value = None
        if column is not None and file in self.raw and column in self.raw[file].columns:
            value = str(self.raw[file].at[line, column])
        rule = problem.rule
        if problem.column and problem.value is not None and problem.value != value:
            rule += f" (alscell {table} {problem.column} {problem.value!r})"
        return Problem(file, line, column, value, rule, problem.code)

    def messages(self, error: ValidationError) -> list[str]:
        """One sentence per problem of a failed import of :meth:`write`'s folder, in PRO-ACT terms."""
        out = [str(self.translate(p)) for p in error.problems]
        if error.total > len(error.problems):
            out.append(f"... and {error.total - len(error.problems)} more problem(s) not shown")
        return out


class _Reader:
    """Reads one PRO-ACT table and its cells; collects the problems of values that cannot be read."""

    def __init__(self, name: str, frame: pd.DataFrame, problems: list[Problem]):
        self.name = name
        self.frame = frame
        self.problems = problems
        self.by_norm = {_norm(c): c for c in frame.columns}
        self.lines = frame.index.to_numpy(dtype=np.int64)
        self._cells: dict[str, pd.Series] = {}

    def column(self, name: str) -> str | None:
        return self.by_norm.get(_norm(name))

    def require(self, *names: str) -> bool:
        missing = [n for n in names if self.column(n) is None]
        for n in missing:
            self.problems.append(
                Problem(
                    self.name, 1, n, None, "the column is missing (PRO-ACT data dictionary)", "proact_missing_column"
                )
            )
        return not missing

    def cells(self, name: str) -> pd.Series:
        """Stripped text of a column ('' for missing or an explicit empty marker; all '' if absent)."""
        col = self.column(name)
        if col is None:
            return pd.Series("", index=self.frame.index, dtype=object)
        if col not in self._cells:
            # Strip and test the distinct values only: a 100,000-row column holds a few hundred.
            codes, uniques = pd.factorize(self.frame[col].astype(str), use_na_sentinel=False)
            u = pd.Series(uniques, dtype=object).str.strip()
            u = u.where(~u.str.lower().isin(MISSING), "")
            self._cells[col] = pd.Series(u.to_numpy(dtype=object)[codes], index=self.frame.index, dtype=object)
        return self._cells[col]

    def numbers(self, name: str, *, whole: bool = False, what: str = "a number") -> np.ndarray:
        """Float values of a column (NaN for missing); a present value that is not a number is a problem."""
        text = self.cells(name)
        codes, uniques = pd.factorize(text, use_na_sentinel=False)
        u = pd.Series(uniques, dtype=object)
        values = pd.to_numeric(u.where(u != ""), errors="coerce").to_numpy(dtype=float)[codes]
        present = (text != "").to_numpy()
        bad = present & ~np.isfinite(values)
        if whole:
            bad |= present & np.isfinite(values) & (values != np.round(values))
        for pos in np.flatnonzero(bad):
            self.problems.append(
                Problem(
                    self.name,
                    int(self.lines[pos]),
                    self.column(name),
                    text.iat[pos],
                    f"must be {what}",
                    "proact_number",
                )
            )
        values[bad] = np.nan
        return values

    def subjects(self) -> pd.Series:
        """``subject_id`` of every row ('' where it cannot be used, with a problem)."""
        codes, uniques = pd.factorize(self.cells("subject_id"), use_na_sentinel=False)
        u = pd.Series(uniques, dtype=object)
        as_int = pd.to_numeric(u.where(u.str.fullmatch(r"\d+\.0+").fillna(False)), errors="coerce")
        u = u.where(as_int.isna(), as_int.astype("Int64").astype(str))  # '123.0' as written by some tools
        u_ok = u.str.fullmatch(rf"[A-Za-z0-9_.-]{{1,{MAX_SUBJECT_ID}}}").fillna(False).to_numpy(dtype=bool)
        text = pd.Series(u.to_numpy(dtype=object)[codes], index=self.frame.index, dtype=object)
        ok = u_ok[codes]
        col = self.column("subject_id")
        for pos in np.flatnonzero(~ok):
            rule = (
                "is missing" if text.iat[pos] == "" else f"must be 1-{MAX_SUBJECT_ID} characters of A-Z a-z 0-9 _ . -"
            )
            self.problems.append(
                Problem(self.name, int(self.lines[pos]), col, text.iat[pos], rule, "proact_subject_id")
            )
        return text.where(ok, "")


def _find_files(folder: Path) -> tuple[dict[str, Path], list[str], list[Problem]]:
    """PRO-ACT tables present in ``folder`` by key, the other CSV files, and ambiguities."""
    wanted = {}
    for key in TABLE_KEYS:
        wanted[_norm("PROACT_" + key)] = key
        wanted[_norm(key)] = key
    found: dict[str, Path] = {}
    other: list[str] = []
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        table = wanted.get(_norm(path.stem))
        if table is None:
            other.append(path.name)
        elif table in found:
            problems.append(
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    f"holds the same PRO-ACT table as {found[table].name}",
                    "proact_two_files",
                )
            )
        else:
            found[table] = path
    return found, other, problems


def _dates(anchor: dt.date, days: np.ndarray) -> np.ndarray:
    """ISO dates ``anchor + days`` ('' where days is NaN)."""
    out = np.full(len(days), "", dtype=object)
    ok = np.isfinite(days)
    if ok.any():
        d = np.datetime64(anchor, "D") + days[ok].astype(np.int64).astype("timedelta64[D]")
        out[ok] = np.datetime_as_string(d, unit="D")
    return out


def _int_text(values: np.ndarray, text: pd.Series) -> np.ndarray:
    """Whole numbers as '3' (from '3' or '3.0'); other present values kept as written for the validator."""
    out = text.to_numpy(dtype=object).copy()
    whole = np.isfinite(values) & (values == np.round(values))
    out[whole] = [str(int(v)) for v in values[whole]]
    return out


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def read_proact(folder: str | Path, anchor: dt.date = DEFAULT_ANCHOR, *, placebo_only: bool = False) -> ProactImport:
    """Map a folder of PRO-ACT CSV tables to canonical text tables (see the module docstring).

    Raises ValidationError naming PRO-ACT file, line and column for every value that cannot be read, a
    missing required column, or a folder without the tables an import needs.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError([Problem(str(folder), None, None, None, "is not a folder", "not_a_folder")])
    files, other, problems = _find_files(folder)
    if not files:
        raise ValidationError(
            [
                Problem(
                    str(folder), None, None, None, "holds no PRO-ACT table (PROACT_ALSFRS.csv, ...)", "proact_no_table"
                )
            ]
        )
    raw: dict[str, pd.DataFrame] = {}
    readers: dict[str, _Reader] = {}
    for key, path in files.items():
        try:
            frame, found = read_raw_table(path, path.stem)
        except ValueError as exc:
            problems.append(Problem(path.name, None, None, None, str(exc), "unreadable_file"))
            continue
        # read_raw_table names problems "<stem>.csv": the file's own name is what the user knows.
        problems.extend(Problem(path.name, p.line, p.column, p.value, p.rule, p.code) for p in found)
        raw[path.name] = frame
        readers[key] = _Reader(path.name, frame, problems)
    if problems:
        raise ValidationError(problems)
    if "ALSHISTORY" not in readers:
        n = len(set().union(*(set(r.cells("subject_id")) - {""} for r in readers.values())))
        raise ValidationError(
            [
                Problem(
                    "PROACT_ALSHISTORY.csv",
                    None,
                    None,
                    None,
                    "file is missing: every patient needs its Onset_Delta and site of onset (required by alscell), "
                    f"so none of the {_plural(n, 'subject')} could be imported",
                    "proact_missing_file",
                )
            ]
        )
    builder = _Builder(readers, anchor, placebo_only)
    result = builder.build()
    if problems:
        raise ValidationError(problems)
    notes = [f"PRO-ACT days counted from day 0 = {anchor.isoformat()} (the anchor) for every subject."]
    notes += builder.notes
    if not len(result[0]["patients"]):
        why = " ".join(builder.notes) or "the tables hold no subject."
        raise ValidationError(
            [Problem(str(folder), None, None, None, f"no subject could be imported: {why}", "proact_nothing")]
        )
    if other:
        notes.append(f"{_plural(len(other), 'file')} not imported (no canonical table holds them): {', '.join(other)}.")
    return ProactImport(result[0], result[1], raw, notes, anchor, builder.counts)


class _Builder:
    """Builds the canonical tables; each ``notes`` entry is one sentence about rows not (fully) mapped."""

    def __init__(self, readers: dict[str, _Reader], anchor: dt.date, placebo_only: bool):
        self.r = readers
        self.anchor = anchor
        self.placebo_only = placebo_only
        self.notes: list[str] = []
        self.counts: dict[str, int] = {}

    def note(self, key: str, n: int, sentence: str) -> None:
        self.counts[key] = n
        if n:
            self.notes.append(sentence)

    # ------------------------------------------------------------------ patients
    def build(self) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, Source]]]:
        hist = self.r["ALSHISTORY"]
        hist.require("subject_id", "Onset_Delta")
        site_cols = [
            "Site_of_Onset",
            "Site_of_Onset___Bulbar",
            "Site_of_Onset___Limb",
            "Site_of_Onset___Limb_and_Bulbar",
            "Site_of_Onset___Spine",
            "Site_of_Onset___Other",
            "Site_of_Onset___Other_Specify",
        ]
        if not any(hist.column(c) for c in site_cols):
            hist.require("Site_of_Onset")
        for key, cols in {
            "DEMOGRAPHICS": ("subject_id",),
            "ALSFRS": ("subject_id", "ALSFRS_Delta"),
            "FVC": ("subject_id", CAPACITY["FVC"][0]),
            "SVC": ("subject_id", CAPACITY["SVC"][0]),
            "DEATHDATA": ("subject_id", "Subject_Died", "Death_Days"),
            "RILUZOLE": ("subject_id", "Subject_used_Riluzole"),
            "TREATMENT": ("subject_id", "Study_Arm"),
        }.items():
            if key in self.r:
                self.r[key].require(*cols)
        if hist.problems:
            return {}, {}
        subjects = {k: r.subjects() for k, r in self.r.items()}
        patients, psrc = self._patients(subjects)
        kept = set(patients["x_proact_subject_id"])
        tables = {"patients": patients}
        sources = {"patients": psrc}
        for name, (frame, src) in {
            "alsfrs": self._alsfrs(subjects.get("ALSFRS"), kept),
            "measurements": self._capacity(subjects, kept),
            "events": self._deaths(subjects.get("DEATHDATA"), kept),
        }.items():
            tables[name] = frame
            sources[name] = src
        return tables, sources

    def _patients(self, subjects: dict[str, pd.Series]) -> tuple[pd.DataFrame, dict[str, Source]]:
        hist = self.r["ALSHISTORY"]
        sid = subjects["ALSHISTORY"]
        onset = hist.numbers("Onset_Delta", whole=True, what="a whole number of days")
        diag = hist.numbers("Diagnosis_Delta", whole=True, what="a whole number of days")
        h = pd.DataFrame({"sid": sid.to_numpy(), "line": hist.lines, "onset": onset, "diag": diag})
        h["site"] = self._row_sites(hist)
        h = h[h["sid"] != ""]
        everyone = set().union(*(set(s) - {""} for s in subjects.values()))

        # Onset / diagnosis: the earliest day recorded for the subject (history forms repeat per visit).
        def earliest(col: str) -> pd.DataFrame:
            v = h.dropna(subset=[col]).sort_values([col, "line"])
            first = v.groupby("sid").first()
            conflicts = int((v.groupby("sid")[col].nunique() > 1).sum())
            return first[[col, "line"]].assign(conflicts=conflicts)

        on, dg = earliest("onset"), earliest("diag")
        n_conflict = int(on["conflicts"].iat[0]) if len(on) else 0
        self.note(
            "onset_conflicts",
            n_conflict,
            f"{_plural(n_conflict, 'subject')} with different Onset_Delta values in "
            f"{hist.name}: the earliest was used.",
        )
        # Per subject: which regions any history row names, and whether its rows name different ones.
        named = h[h["site"] != ""]
        sites = (
            pd.DataFrame(
                {
                    "sid": named["sid"],
                    "bulbar": named["site"].str.contains("bulbar"),
                    "limb": named["site"].str.contains("limb"),
                    "line": named["line"],
                }
            )
            .groupby("sid")
            .agg(bulbar=("bulbar", "max"), limb=("limb", "max"), line=("line", "first"))
        )
        both = (sites["bulbar"] & sites["limb"]).to_numpy()
        site = pd.Series(
            np.where(
                both,
                "generalized",  # 'Limb and Bulbar' onset: both regions at once
                np.where(sites["bulbar"], "bulbar", np.where(sites["limb"], "limb", "")),
            ),
            index=sites.index,
            dtype=object,
        )
        site = site.where(site != "", None)  # 'Other' only: no site alscell knows
        mixed = (named.groupby("sid")["site"].nunique() > 1).reindex(sites.index, fill_value=False)
        n_mixed = int((mixed.to_numpy() & both).sum())
        self.note(
            "site_mixed",
            n_mixed,
            f"{_plural(n_mixed, 'subject')} with both bulbar and limb onset recorded in different rows of "
            f"{hist.name}: imported as onset_site generalized.",
        )
        ids = sorted(everyone)
        p = pd.DataFrame(index=pd.Index(ids, name="sid"))
        p["onset"] = on["onset"]
        p["onset_line"] = on["line"]
        p["diag"] = dg["diag"]
        p["diag_line"] = dg["line"]
        p["site"] = site
        p["site_line"] = sites["line"]
        arm = self._arms(subjects.get("TREATMENT"))
        p["arm"] = arm["arm"] if arm is not None else ""
        p["arm"] = p["arm"].fillna("")

        no_onset = p["onset"].isna()
        no_site = ~no_onset & p["site"].isna()
        other_site = no_site & p.index.isin(sites.index)
        self.dropped: dict[str, str] = {}
        for sid_ in p.index[no_onset]:
            self.dropped[sid_] = "no Onset_Delta"
        for sid_ in p.index[no_site]:
            self.dropped[sid_] = "no site of onset alscell knows"
        if self.placebo_only:
            not_placebo = ~(no_onset | no_site) & (p["arm"].str.lower() != "placebo")
            for sid_ in p.index[not_placebo]:
                self.dropped[sid_] = "not in a placebo arm"
            n = int(not_placebo.sum())
            self.note(
                "not_placebo",
                n,
                f"{_plural(n, 'subject')} left out because they were not in a placebo arm (PROACT_TREATMENT "
                "Study_Arm; --placebo-only).",
            )
        n = int(no_onset.sum())
        self.note(
            "no_onset",
            n,
            f"{_plural(n, 'subject')} left out because {hist.name} gives no Onset_Delta (onset_date is required), with all their rows.",
        )
        n, n_other = int(no_site.sum()), int(other_site.sum())
        self.note(
            "no_site",
            n,
            f"{_plural(n, 'subject')} left out because {hist.name} gives no bulbar, limb or spinal site of onset "
            f"({n_other} of them 'Other' only; onset_site is required), with all their rows.",
        )
        p = p[~p.index.isin(list(self.dropped))]
        n_all = len(ids)
        self.counts["subjects"] = n_all
        self.counts["patients"] = len(p)

        demo = self.r.get("DEMOGRAPHICS")
        n = len(p)
        sex = np.full(n, "U", dtype=object)
        sex_line = np.zeros(n, dtype=np.int64)
        birth = np.full(n, "", dtype=object)
        birth_col = np.full(n, "", dtype=object)
        main_file = np.full(n, hist.name, dtype=object)
        main_line = p["onset_line"].to_numpy(dtype=np.int64)
        if demo is not None:
            d = pd.DataFrame({"sid": subjects["DEMOGRAPHICS"].to_numpy(), "line": demo.lines})
            sx = demo.cells("Sex").str.lower()
            coded = sx.map({"female": "F", "f": "F", "male": "M", "m": "M"})
            for pos in np.flatnonzero(((sx != "") & coded.isna()).to_numpy()):
                demo.problems.append(
                    Problem(
                        demo.name,
                        int(demo.lines[pos]),
                        demo.column("Sex"),
                        demo.cells("Sex").iat[pos],
                        "must be Female or Male (or empty)",
                        "proact_sex",
                    )
                )
            d["sex"] = coded.fillna("").to_numpy()
            dob = demo.numbers("Date_of_Birth", what="a number of days")
            age = demo.numbers("Age", what="a number of years")
            at = demo.numbers("Demographics_Delta", whole=True, what="a whole number of days")
            at = np.where(np.isfinite(at), at, 0.0)
            born = np.where(np.isfinite(dob), np.round(dob), np.round(at - age * DAYS_PER_YEAR))
            years = pd.Series(_dates(self.anchor, born)).str[:4].to_numpy()
            d["birth"] = years
            d["birth_col"] = np.where(np.isfinite(dob), demo.column("Date_of_Birth") or "", demo.column("Age") or "")
            d = d[d["sid"] != ""].groupby("sid").first()
            d = d.reindex(p.index)
            has = d["line"].notna().to_numpy()
            sex = np.where(has & (d["sex"].fillna("") != ""), d["sex"].fillna("U"), "U").astype(object)
            sex_line = np.where(has, d["line"].fillna(0), 0).astype(np.int64)
            birth = d["birth"].fillna("").to_numpy(dtype=object)
            birth_col = d["birth_col"].fillna("").to_numpy(dtype=object)
            main_file = np.where(has, demo.name, hist.name).astype(object)
            main_line = np.where(has, sex_line, main_line)
        n_u = int((sex == "U").sum())
        self.note(
            "sex_unknown",
            n_u,
            f"{_plural(n_u, 'patient')} without Sex in PROACT_DEMOGRAPHICS: imported with sex U (unknown).",
        )
        ril = np.full(n, "", dtype=object)
        ril_line = np.zeros(n, dtype=np.int64)
        ril_name = ""
        if "RILUZOLE" in self.r:
            rr = self.r["RILUZOLE"]
            ril_name = rr.name
            text = rr.cells("Subject_used_Riluzole")
            used = text.str.lower().map(
                {"yes": "true", "no": "false", "1": "true", "0": "false", "true": "true", "false": "false"}
            )
            for pos in np.flatnonzero(((text != "") & used.isna()).to_numpy()):
                rr.problems.append(
                    Problem(
                        rr.name,
                        int(rr.lines[pos]),
                        rr.column("Subject_used_Riluzole"),
                        text.iat[pos],
                        "must be Yes or No (or empty)",
                        "proact_yes_no",
                    )
                )
            r = pd.DataFrame(
                {"sid": subjects["RILUZOLE"].to_numpy(), "line": rr.lines, "used": used.fillna("").to_numpy()}
            )
            r = r[(r["sid"] != "") & (r["used"] != "")].sort_values(["sid", "used"], ascending=[True, False])
            r = r.groupby("sid").first().reindex(p.index)  # 'true' sorts after 'false': any Yes wins
            ril = r["used"].fillna("").to_numpy(dtype=object)
            ril_line = r["line"].fillna(0).to_numpy(dtype=np.int64)
        out = pd.DataFrame(
            {
                "patient_id": [ID_PREFIX + s for s in p.index],
                "sex": sex,
                "birth_year": birth,
                "onset_date": _dates(self.anchor, p["onset"].to_numpy(dtype=float)),
                "diagnosis_date": _dates(self.anchor, p["diag"].to_numpy(dtype=float)),
                "onset_site": p["site"].to_numpy(dtype=object),
                "riluzole": ril,
                "cohort": COHORT,
                "x_proact_subject_id": list(p.index),
                "x_proact_study_arm": p["arm"].to_numpy(dtype=object),
                "x_proact_anchor": self.anchor.isoformat(),  # re-imports must use the same day 0
            }
        )
        self.patient_onset = pd.Series(p["onset"].to_numpy(dtype=float), index=p.index)
        demo_name = demo.name if demo is not None else ""
        line0 = np.zeros(n, dtype=np.int64)
        src = {
            "": Source(main_file, main_line, "subject_id"),
            "sex": Source(demo_name, sex_line, demo.column("Sex") if demo is not None else None),
            "birth_year": Source(demo_name, sex_line, birth_col),
            "onset_date": Source(hist.name, p["onset_line"].to_numpy(dtype=np.int64), hist.column("Onset_Delta")),
            "diagnosis_date": Source(
                hist.name, p["diag_line"].fillna(0).to_numpy(dtype=np.int64), hist.column("Diagnosis_Delta")
            ),
            "onset_site": Source(
                hist.name, p["site_line"].fillna(0).to_numpy(dtype=np.int64), hist.column("Site_of_Onset")
            ),
            "riluzole": Source(
                ril_name, ril_line, self.r["RILUZOLE"].column("Subject_used_Riluzole") if ril_name else None
            ),
            "x_proact_study_arm": Source(self.arm_file, line0 + self.arm_lines(p.index), "Study_Arm"),
        }
        return out, src

    def _arms(self, sid: pd.Series | None) -> pd.DataFrame | None:
        self.arm_file = ""
        self._arm_line = pd.Series(dtype=np.int64)
        if sid is None:
            return None
        tr = self.r["TREATMENT"]
        self.arm_file = tr.name
        text = tr.cells("Study_Arm")
        t = pd.DataFrame({"sid": sid.to_numpy(), "line": tr.lines, "arm": text.to_numpy()})
        t = t[(t["sid"] != "") & (t["arm"] != "")]
        first = t.groupby("sid").first()
        n = int((t.groupby("sid")["arm"].nunique() > 1).sum())
        self.note(
            "arm_conflicts",
            n,
            f"{_plural(n, 'subject')} with more than one Study_Arm in {tr.name}: the first row's arm was kept.",
        )
        self._arm_line = first["line"]
        return first[["arm"]]

    def arm_lines(self, index: pd.Index) -> np.ndarray:
        return self._arm_line.reindex(index).fillna(0).to_numpy(dtype=np.int64)

    def _row_sites(self, hist: _Reader) -> np.ndarray:
        """Per ALSHISTORY row: '', 'bulbar', 'limb', 'bulbar+limb' or 'other' from the text and flag columns."""
        text = hist.cells("Site_of_Onset").str.lower().str.replace(r"^onset\s*:\s*", "", regex=True)

        def flag(name: str) -> np.ndarray:
            c = hist.cells(name).str.lower()
            return ((c != "") & ~c.isin(["0", "0.0", "no", "false"])).to_numpy()

        bulbar = (
            text.str.contains("bulbar").to_numpy()
            | flag("Site_of_Onset___Bulbar")
            | flag("Site_of_Onset___Limb_and_Bulbar")
        )
        # Spinal onset is limb onset (PRO-ACT's 'Spine'; cf. the same pooling in published PRO-ACT code).
        limb = (
            text.str.contains("limb|spin", regex=True).to_numpy()
            | flag("Site_of_Onset___Limb")
            | flag("Site_of_Onset___Spine")
            | flag("Site_of_Onset___Limb_and_Bulbar")
        )
        other = (text != "").to_numpy() | flag("Site_of_Onset___Other") | flag("Site_of_Onset___Other_Specify")
        out = np.where(bulbar & limb, "bulbar+limb", np.where(bulbar, "bulbar", np.where(limb, "limb", "")))
        return np.where((out == "") & other, "other", out).astype(object)

    # ------------------------------------------------------------------ ALSFRS
    def _alsfrs(self, sid: pd.Series | None, kept: set[str]) -> tuple[pd.DataFrame, dict[str, Source]]:
        columns = [
            *TABLES["alsfrs"],
            "x_proact_instrument",
            "x_proact_q10_respiratory",
            "x_proact_mode_of_administration",
            "x_proact_responded_by",
        ]
        if sid is None:
            return pd.DataFrame(columns=columns), {"": Source("", np.zeros(0, np.int64), None)}
        a = self.r["ALSFRS"]
        day = a.numbers("ALSFRS_Delta", whole=True, what="a whole number of days")
        items: dict[str, np.ndarray] = {}
        values: dict[str, np.ndarray] = {}
        for col, item in ALSFRS_COLUMNS.items():
            v = a.numbers(col, what="an item score 0-4")
            values[item] = v
            items[item] = _int_text(v, a.cells(col))
        q10 = a.cells("Q10_Respiratory")
        a.numbers("Q10_Respiratory", what="an item score 0-4")  # a value that is no number is a problem
        present = {k: v != "" for k, v in items.items()}
        any_item = np.any(np.column_stack(list(present.values())), axis=1) | (q10 != "").to_numpy()
        has_r = present["q10"] | present["q11"] | present["q12"]
        original = ~has_r & (q10 != "").to_numpy()
        both5 = present["q5a"] & present["q5b"]
        row_subject = sid.to_numpy()
        ours = pd.Series(row_subject).isin(kept).to_numpy()
        dropped_subject = (row_subject != "") & ~ours
        no_day = ours & ~np.isfinite(day)
        empty = ours & np.isfinite(day) & ~any_item
        use = ours & np.isfinite(day) & any_item
        frame = pd.DataFrame({"patient_id": ID_PREFIX + sid, "date": _dates(self.anchor, day)})
        for item in ALSFRS_ITEMS:
            frame[item] = items[item]
        frame.loc[both5, ["q5a", "q5b"]] = ""
        frame["assessor"] = ""
        frame["visit_type"] = ""  # PRO-ACT does not say what occasion a rating was taken at
        frame["eligible"] = ""  # nor whether a clinic screened the patient for a therapy at it
        frame["rater"] = ""  # nor who rated it (PRO-ACT's trials do not pass on rater ids)
        frame["x_proact_instrument"] = np.where(has_r, "ALSFRS-R", np.where(original, "ALSFRS", ""))
        frame["x_proact_q10_respiratory"] = q10.to_numpy()
        frame["x_proact_mode_of_administration"] = a.cells("Mode_of_Administration").to_numpy()
        frame["x_proact_responded_by"] = a.cells("ALSFRS_Responded_By").to_numpy()
        frame["_line"] = a.lines
        frame = frame[use]
        # Identical rows of one subject and day (re-entered forms) count once; differing ones are left for
        # the canonical rule "at most one row per patient and date" to name.
        body = [c for c in frame.columns if c != "_line"]
        dup = frame.duplicated(subset=body, keep="first").to_numpy()
        frame = frame[~dup]
        # Totals as given are not imported (alscell derives them); say how often they disagree.
        total = a.numbers("ALSFRS_R_Total", what="a number")
        full = np.column_stack(
            [np.isfinite(values[i]) for i in ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10", "q11", "q12")]
        ).all(axis=1)
        five = np.where(np.isfinite(values["q5a"]), values["q5a"], values["q5b"])
        full &= np.isfinite(five) & ~both5
        sums = np.nansum(np.column_stack([values[i] for i in ALSFRS_ITEMS]), axis=1)
        mismatch = use & full & np.isfinite(total) & (np.abs(sums - total) > 1e-9)
        n_original = int((use & original).sum())
        self.counts["alsfrs_rows"] = len(frame)
        self.note(
            "alsfrs_no_day",
            int(no_day.sum()),
            f"{_plural(int(no_day.sum()), 'ALSFRS row')} without ALSFRS_Delta left out (a visit needs a day).",
        )
        self.note(
            "alsfrs_empty",
            int(empty.sum()),
            f"{_plural(int(empty.sum()), 'ALSFRS row')} without any item score left out.",
        )
        self.note(
            "alsfrs_dropped_subject",
            int(dropped_subject.sum()),
            f"{_plural(int(dropped_subject.sum()), 'ALSFRS row')} of left-out subjects not imported.",
        )
        self.note(
            "alsfrs_original",
            n_original,
            f"{_plural(n_original, 'ALSFRS row')} of the original ALSFRS (Q10_Respiratory, no R_1-R_3): items 1-9 "
            "imported, the ALSFRS-R respiratory items 10-12 left empty (so no ALSFRS-R total), Q10 kept as "
            "x_proact_q10_respiratory and not converted.",
        )
        n_both = int((use & both5).sum())
        self.note(
            "alsfrs_both_q5",
            n_both,
            f"{_plural(n_both, 'ALSFRS row')} with both Q5a and Q5b scored: item 5 left empty (gastrostomy "
            "status unknown).",
        )
        self.note(
            "alsfrs_duplicates",
            int(dup.sum()),
            f"{_plural(int(dup.sum()), 'ALSFRS row')} repeating another row of the same subject and day counted once.",
        )
        self.note(
            "alsfrs_total_mismatch",
            int(mismatch.sum()),
            f"{_plural(int(mismatch.sum()), 'ALSFRS row')} whose ALSFRS_R_Total differs from the sum of its items "
            "(alscell uses the items).",
        )
        lines = frame.pop("_line").to_numpy(dtype=np.int64)
        frame = frame.reset_index(drop=True)
        src = {"": Source(a.name, lines, "subject_id"), "date": Source(a.name, lines, a.column("ALSFRS_Delta"))}
        for col, item in ALSFRS_COLUMNS.items():
            src[item] = Source(a.name, lines, a.column(col))
        src["x_proact_q10_respiratory"] = Source(a.name, lines, a.column("Q10_Respiratory"))
        return frame[columns], src

    # ------------------------------------------------------------------ FVC / SVC
    def _capacity(self, subjects: dict[str, pd.Series], kept: set[str]) -> tuple[pd.DataFrame, dict[str, Source]]:
        parts = []
        for key, (delta_col, unit_col, measure) in CAPACITY.items():
            if key not in self.r:
                continue
            parts.append(self._capacity_table(key, subjects[key], kept, delta_col, unit_col, measure))
        columns = [*TABLES["measurements"], "x_proact_source"]
        if not parts:
            return pd.DataFrame(columns=columns), {"": Source("", np.zeros(0, np.int64), None)}
        m = pd.concat(parts, ignore_index=True)
        src = {
            "": Source(m["_file"].to_numpy(dtype=object), m["_line"].to_numpy(dtype=np.int64), "subject_id"),
            "date": Source(
                m["_file"].to_numpy(dtype=object),
                m["_line"].to_numpy(dtype=np.int64),
                m["_delta_col"].to_numpy(dtype=object),
            ),
            "value": Source(
                m["_file"].to_numpy(dtype=object),
                m["_line"].to_numpy(dtype=np.int64),
                m["_value_col"].to_numpy(dtype=object),
            ),
        }
        return m[columns].reset_index(drop=True), src

    def _capacity_table(self, key, sid, kept, delta_col, unit_col, measure) -> pd.DataFrame:
        t = self.r[key]
        day = t.numbers(delta_col, whole=True, what="a whole number of days")
        units = t.cells(unit_col)
        unorm = units.map(_norm)
        litre_u = unorm.isin(LITRE_UNITS).to_numpy()
        pct_u = unorm.isin(PERCENT_UNITS).to_numpy() | units.str.contains("%", regex=False).to_numpy()
        for pos in np.flatnonzero(((units != "") & ~litre_u & ~pct_u).to_numpy()):
            t.problems.append(
                Problem(
                    t.name,
                    int(t.lines[pos]),
                    t.column(unit_col),
                    units.iat[pos],
                    "must be Liters or Percent Predicted (or empty)",
                    "proact_unit",
                )
            )
        lit = np.column_stack([t.numbers(f"Subject_Liters_Trial_{k}", what="a number") for k in TRIALS])
        pct = np.column_stack([t.numbers(f"pct_of_Normal_Trial_{k}", what="a number") for k in TRIALS])
        normal = t.numbers("Subject_Normal", what="a number of litres")
        lit_names = np.array([t.column(f"Subject_Liters_Trial_{k}") or "" for k in TRIALS], dtype=object)
        pct_names = np.array([t.column(f"pct_of_Normal_Trial_{k}") or "" for k in TRIALS], dtype=object)

        def best(a: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            has = np.isfinite(a).any(axis=1)
            idx = np.argmax(np.where(np.isfinite(a), a, -np.inf), axis=1)
            return np.where(has, a[np.arange(len(a)), idx], np.nan), np.where(has, names[idx], "")

        lbest, lcol = best(lit, lit_names)
        pbest, pcol = best(pct, pct_names)
        value = np.full(len(day), np.nan)
        vcol = np.full(len(day), "", dtype=object)
        how = np.full(len(day), "", dtype=object)
        step = np.isfinite(pbest)
        value[step], vcol[step], how[step] = pbest[step], pcol[step], "pct_of_Normal"
        # 'Percent Predicted' rows hold the percentages in the Subject_Liters columns.
        step = ~np.isfinite(value) & pct_u & np.isfinite(lbest)
        value[step], vcol[step], how[step] = lbest[step], lcol[step], "Percent Predicted units"
        litres = ~np.isfinite(value) & ~pct_u & np.isfinite(lbest)
        ambiguous = litres & ~litre_u & (lbest > MAX_LITRES)
        step = litres & ~ambiguous & np.isfinite(normal) & (normal > 0)
        value[step] = np.round(lbest[step] / normal[step] * 100.0, 1)
        vcol[step], how[step] = lcol[step], "liters/Subject_Normal"
        only_litres = litres & ~ambiguous & ~step
        row_subject = sid.to_numpy()
        ours = pd.Series(row_subject).isin(kept).to_numpy()
        no_day = ours & ~np.isfinite(day)
        no_value = ours & np.isfinite(day) & ~np.isfinite(value) & ~only_litres & ~ambiguous
        use = ours & np.isfinite(day) & np.isfinite(value)
        frame = pd.DataFrame(
            {
                "patient_id": ID_PREFIX + sid,
                "date": _dates(self.anchor, day),
                "measure": measure,
                "value": value,
                "unit": "%",
                "side": "",
                "muscle": "",
                "specimen": "",
                "x_proact_source": how,
                "_file": t.name,
                "_line": t.lines,
                "_delta_col": t.column(delta_col) or "",
                "_value_col": vcol,
            }
        )[use]
        # Several rows of one subject and day are more trials of that visit: the largest is its result.
        frame = frame.sort_values(["patient_id", "date", "value", "_line"], ascending=[True, True, False, True])
        dup = frame.duplicated(subset=["patient_id", "date"], keep="first").to_numpy()
        frame = frame[~dup]
        frame["value"] = [repr(float(v)) for v in frame["value"]]
        name = t.name
        self.counts[f"{key.lower()}_rows"] = len(frame)
        n = int(no_day.sum())
        self.note(f"{key}_no_day", n, f"{_plural(n, key + ' row')} without {delta_col} left out.")
        n = int((ours & np.isfinite(day) & only_litres).sum())
        self.note(
            f"{key}_litres_only",
            n,
            f"{_plural(n, key + ' row')} in litres without Subject_Normal left out (alscell stores {measure}, "
            "% predicted, and the predicted normal is needed to compute it).",
        )
        n = int((ours & np.isfinite(day) & ambiguous).sum())
        self.note(
            f"{key}_ambiguous",
            n,
            f"{_plural(n, key + ' row')} left out: a value above {MAX_LITRES:g} without {unit_col} and without "
            "pct_of_Normal cannot be told apart as litres or % predicted.",
        )
        n = int(no_value.sum())
        self.note(f"{key}_empty", n, f"{_plural(n, key + ' row')} without any trial value left out.")
        n = int(dup.sum())
        self.note(
            f"{key}_same_day",
            n,
            f"{_plural(n, key + ' row')} on a day that already had one: all trials of the day pooled and the "
            f"largest kept (ATS/ERS), in {name}.",
        )
        n = int(((row_subject != "") & ~ours).sum())
        self.note(f"{key}_dropped_subject", n, f"{_plural(n, key + ' row')} of left-out subjects not imported.")
        return frame

    # ------------------------------------------------------------------ deaths
    def _deaths(self, sid: pd.Series | None, kept: set[str]) -> tuple[pd.DataFrame, dict[str, Source]]:
        columns = list(TABLES["events"])
        if sid is None:
            return pd.DataFrame(columns=columns), {"": Source("", np.zeros(0, np.int64), None)}
        d = self.r["DEATHDATA"]
        died_text = d.cells("Subject_Died")
        yes_no = {"yes": "yes", "no": "no", "1": "yes", "0": "no", "true": "yes", "false": "no"}
        died = died_text.str.lower().map(yes_no)
        for pos in np.flatnonzero(((died_text != "") & died.isna()).to_numpy()):
            d.problems.append(
                Problem(
                    d.name,
                    int(d.lines[pos]),
                    d.column("Subject_Died"),
                    died_text.iat[pos],
                    "must be Yes or No (or empty)",
                    "proact_yes_no",
                )
            )
        day = d.numbers("Death_Days", whole=True, what="a whole number of days")
        yes = (died == "yes").to_numpy()
        row_subject = sid.to_numpy()
        ours = pd.Series(row_subject).isin(kept).to_numpy()
        no_day = ours & yes & ~np.isfinite(day)
        unclear = ours & ~yes & died.isna().to_numpy() & np.isfinite(day)
        use = ours & yes & np.isfinite(day)
        frame = pd.DataFrame(
            {
                "patient_id": ID_PREFIX + sid,
                "date": _dates(self.anchor, day),
                "event": "death",
                "_day": day,
                "_line": d.lines,
            }
        )[use]
        frame = frame.sort_values(["patient_id", "_day", "_line"])
        n_conflict = int((frame.groupby("patient_id")["_day"].nunique() > 1).sum())
        frame = frame[~frame.duplicated(subset=["patient_id"], keep="first").to_numpy()]
        self.counts["deaths"] = len(frame)
        n = int(no_day.sum())
        self.note(
            "death_no_day",
            n,
            f"{_plural(n, 'death')} (Subject_Died = Yes) without Death_Days left out: a death needs its day.",
        )
        n = int(unclear.sum())
        self.note(
            "death_unclear",
            n,
            f"{_plural(n, 'DEATHDATA row')} with Death_Days but without Subject_Died = Yes left out.",
        )
        self.note(
            "death_conflicts",
            n_conflict,
            f"{_plural(n_conflict, 'subject')} with deaths on different days in {d.name}: the earliest was kept.",
        )
        n = int(((row_subject != "") & ~ours & yes).sum())
        self.note("death_dropped_subject", n, f"{_plural(n, 'death')} of left-out subjects not imported.")
        lines = frame["_line"].to_numpy(dtype=np.int64)
        src = {"": Source(d.name, lines, "subject_id"), "date": Source(d.name, lines, d.column("Death_Days"))}
        return frame[columns].reset_index(drop=True), src


def anchor_conflict(stored: dict[str, int], anchor: dt.date) -> str | None:
    """One sentence when the registry holds PRO-ACT subjects imported with another day 0 (``stored``: anchor →
    number of subjects), since a different anchor moves every date and would add each visit a second time."""
    other = {a: n for a, n in stored.items() if a != anchor.isoformat()}
    if not other:
        return None
    first = sorted(other)[0]
    return (
        f"the registry already holds {_plural(sum(other.values()), 'PRO-ACT subject')} imported with day 0 = "
        f"{first}: import again with --anchor {first} (another anchor would move every date and add each visit twice)"
    )


__all__ = ["COHORT", "DEFAULT_ANCHOR", "ID_PREFIX", "ProactImport", "Source", "anchor_conflict", "read_proact"]
