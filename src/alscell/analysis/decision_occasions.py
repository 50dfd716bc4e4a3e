"""Which visits were occasions for the decision to treat, and at which one each first treatment was decided.

Why.  g-estimation models the decision at every visit of a not-yet-treated patient and takes the last visit on
or before the first dose as the one at which treatment started (alscell.analysis.g_estimation).  Two things the
canonical format cannot say break that: the decision comes weeks before the dose (cells to be made), and a clinic
decides only at some visits (planned reviews; not at a home visit, a hospital admission or a contact the patient
asked for).  Visits that were no occasion, kept as decisions, are visits at which treatment "could have started"
and did not: when they come at bad moments (an admission's dip, the contacts fast decliners ask for) the decision
model reads the course through them and the estimate leans (docs/decision_visits.md, the thirteenth and
fourteenth worlds).  A visit that is no decision occasion has probability 0 of a start; leaving it out of the
estimating equations is then exact, not a restriction that changes the estimand (Robins' g-estimation sums over
decision occasions only: Robins, Commun Stat Theory Methods 1994;23:2379–2412; Vansteelandt & Joffe, Stat Sci
2014;29:707–731).

What the registry may record (optional extension columns, docs/data-rules.md): ``treatments.decision_date``, when
the decision to give an administration was taken, ``alsfrs.visit_type`` (:data:`VISIT_TYPES`) and ``alsfrs.eligible``
(the clinic's screening for the therapy at a visit).  Read here:

* the first (active) administration's ``decision_date``: that patient's decision visit is the last decision
  occasion on or before it, and the visits after it until the dose are neither decisions nor treated (they may
  already hold what followed the decision: the harvest, the wait).  Where it is not recorded the analyst's
  ``--decision-lag`` stands in for it (0 days when not given: the last occasion on or before the dose day);
* the occasions (``--decision-visits``): the visit types at which the clinic decides; a visit of another type is
  no decision.  A visit whose type is not recorded counts as an occasion (what every visit was before the column);
* the visits left out (``--leave-out-visits``): types whose ratings do not measure the course as the others do —
  on the fourteenth world the ratings taken during an admission, lowered by the acute illness, lean the named
  estimate even where admissions are no decisions (docs/decision_occasions.md).  They leave the analysis
  altogether (history and outcome).  Leaving out a type that follows the stage (home visits once walking is lost)
  censors the course where it is worst: the analyst's call, said in the result;
* the recorded screening (``--recorded-eligibility``, an option: docs/recorded_eligibility.md): a decision visit at
  which ``alsfrs.eligible`` is false leaves the decision model (its probability of a start is 0; a start there is
  kept and said), a visit with no recorded screening stays.  Unlike
  ``--eligible-when`` (the analyst's statement of the rule on the named columns, alscell.analysis.decision_inputs)
  it needs no names and holds what no column records (a screening test, the clinician's judgement).

With none recorded nor asked for, nothing changes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from alscell.analysis.errors import NotApplicable
from alscell.analysis.self_ratings import history_reads
from alscell.domain.vocabulary import VISIT_TYPES
from alscell.io.tables import as_tables

# A visit type at which no start was seen although, at the rate of starts over all decision visits, at least this
# many were expected: the chance of none is then at most e^-5 < 0.01 (Poisson), so the clinic probably does not
# decide at that kind of visit and the result says so (:func:`unused_types_warning`).
EXPECTED_STARTS = 5.0


class Occasions(NamedTuple):
    """The decision rows of the analysis frame (``at_risk``), the rows at which treatment started (``start``),
    what the result says about them (``details``, ``warnings``)."""

    at_risk: np.ndarray
    start: np.ndarray
    details: dict
    warnings: list[str]


def check_occasions(text: str | tuple[str, ...] | None, what: str = "decision visits") -> tuple[str, ...]:
    """The visit types of ``--decision-visits`` (or, ``what``, of ``--leave-out-visits``; comma-separated, or a
    tuple), checked against :data:`VISIT_TYPES`; () for none given (every visit is an occasion; none left out)."""
    items = text.split(",") if isinstance(text, str) else (text or ())
    types = tuple(dict.fromkeys(x.strip() for x in items if x.strip()))
    unknown = [t for t in types if t not in VISIT_TYPES]
    if unknown:
        raise NotApplicable(
            f"{what}: unknown visit type(s) {', '.join(repr(t) for t in unknown)}: use {', '.join(VISIT_TYPES)}."
        )
    return types


LEAVE_OUT = "leave out visits"  # how a bad --leave-out-visits is named (check_occasions)
SLOPE_VISITS = "slope visits"  # how a bad slope_visits is named (check_occasions)


def visit_column(tables, df: pd.DataFrame, column: str) -> pd.Series | None:
    """Per row of the analysis frame ``df``: the recorded ``alsfrs`` ``column`` of the ALSFRS-R visit on that
    patient's date (missing where none is recorded or no visit that day); None when nothing is recorded or the frame
    carries no dates."""
    if tables is None or "date" not in df:
        return None
    a = as_tables(tables)["alsfrs"]
    if column not in a or not a[column].notna().any():
        return None
    rec = a.loc[a[column].notna(), ["patient_id", "date", column]].drop_duplicates(["patient_id", "date"])
    keys = df[["patient_id", "date"]].astype({"date": "datetime64[ns]"})
    return keys.merge(rec.astype({"date": "datetime64[ns]"}), on=["patient_id", "date"], how="left")[column]


def visit_types(tables, df: pd.DataFrame) -> np.ndarray:
    """Per row of the analysis frame ``df``: the recorded ``alsfrs.visit_type`` of the ALSFRS-R visit on that
    patient's date ("" where none is recorded, or no visit that day, or the frame carries no dates)."""
    got = visit_column(tables, df, "visit_type")
    return np.full(len(df), "", dtype=object) if got is None else got.fillna("").to_numpy(dtype=object)


def screened(tables, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(recorded, eligible) per row of ``df``: whether the clinic's screening for the therapy is recorded at that
    visit (``alsfrs.eligible``, an optional extension: docs/data-rules.md) and whether it found the patient eligible
    (False where not recorded)."""
    got = visit_column(tables, df, "eligible")
    if got is None:
        return np.zeros(len(df), dtype=bool), np.zeros(len(df), dtype=bool)
    recorded = got.notna().to_numpy()
    return recorded, recorded & (got.astype("boolean").fillna(False).to_numpy(dtype=bool))


def left_out(tables, df: pd.DataFrame, types: tuple[str, ...]) -> np.ndarray:
    """Per row of ``df``: whether its visit is of one of the recorded ``types`` the analyst leaves out of the
    analysis (``--leave-out-visits``: ratings that do not measure the course as the others do, such as those taken
    during a hospital admission for an acute illness)."""
    return np.isin(visit_types(tables, df), check_occasions(types, LEAVE_OUT)) if types else np.zeros(len(df), bool)


def in_slopes(tables, df: pd.DataFrame, types: tuple[str, ...]) -> np.ndarray:
    """Per row of ``df``: whether its visit's outcome enters the follow-up windows' slopes — every row when no
    ``types`` are given, else the rows whose recorded visit type is one of them (g-estimation's ``slope_visits``: the
    course measured at the planned reviews only, while the history keeps every visit; a visit without a recorded type
    does not enter).  :class:`NotApplicable` when no visit of those types is recorded."""
    if not types:
        return np.ones(len(df), dtype=bool)
    keep = np.isin(visit_types(tables, df), check_occasions(types, SLOPE_VISITS))
    if not keep.any():
        raise NotApplicable(f"{SLOPE_VISITS}: no visit of type {', '.join(types)} is recorded (alsfrs.visit_type).")
    return keep


def slopes_warning(kept: int, total: int, types: tuple[str, ...]) -> list[str]:
    """What the result says when only the visits of ``types`` (``kept`` of ``total``) measure the course."""
    if not types:
        return []
    return [
        f"the course after each decision visit is measured at the {kept} of {total} visits of type "
        f"{', '.join(types)} only (slope visits); the history before it reads every visit."
    ]


def left_out_warning(n: int, types: tuple[str, ...]) -> list[str]:
    """What the result says when ``n`` visits of ``types`` were left out."""
    if not types:
        return []
    return [
        f"{n} visit(s) of type {', '.join(types)} were left out of the analysis (--leave-out-visits: taken as not "
        "measuring the course as the other visits do); the estimate is about the course the other visits show."
    ]


def decided_days(tables, df: pd.DataFrame) -> np.ndarray:
    """Per row of ``df``: days from the recorded decision to the patient's first (active) dose, from that
    administration's ``treatments.decision_date`` (NaN where not recorded, or never treated)."""
    out = np.full(len(df), np.nan)
    if tables is None or "patient_id" not in df:
        return out
    from alscell.analysis.design_matrix import active_treatments

    t = active_treatments(tables)
    if "decision_date" not in t or not t["decision_date"].notna().any():
        return out
    first = t.drop_duplicates("patient_id", keep="first").set_index("patient_id")
    days = (pd.to_datetime(first["date"]) - pd.to_datetime(first["decision_date"])).dt.days.astype(float)
    return df["patient_id"].map(days).to_numpy(dtype=float)


def decision_rows(
    df: pd.DataFrame, lag_days: float | np.ndarray = 0.0, occasion: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(at_risk, start): the decision rows of ``df`` (sorted by patient and time) and the rows at which treatment
    started, when each treated patient's decision came ``lag_days`` (a number, or one per row) before the first
    dose and only the rows where ``occasion`` holds are decisions (None: every row).  The decision row is the last
    occasion on or before the decision day; the rows after it until the dose are neither decisions nor treated."""
    d = df["days_after"].to_numpy(dtype=float) + np.asarray(lag_days, dtype=float)
    occ = np.ones(len(df), dtype=bool) if occasion is None else np.asarray(occasion, dtype=bool)
    at_risk = ~(d > 0) & occ  # NaN (never treated) → every occasion is a decision
    cand = np.flatnonzero(occ & np.isfinite(d) & (d <= 0))
    pid = pd.factorize(df["patient_id"])[0][cand]
    start = np.zeros(len(df), dtype=bool)
    if len(cand):
        start[cand[np.r_[pid[1:] != pid[:-1], True]]] = True  # the last candidate of each patient
    return at_risk, start


def unused_types_warning(types: np.ndarray, at_risk: np.ndarray, start: np.ndarray) -> list[str]:
    """The warning when recorded visit types are all taken as occasions but some type held no start although
    :data:`EXPECTED_STARTS` or more were expected at the rate of all decision visits."""
    rows, starts = types[at_risk], start[at_risk]
    rate = starts.mean() if len(rows) else 0.0
    unused = [
        (v, int((rows == v).sum()))
        for v in VISIT_TYPES
        if not starts[rows == v].any() and rate * (rows == v).sum() >= EXPECTED_STARTS
    ]
    if not unused:
        return []
    seen = [v for v in VISIT_TYPES if starts[rows == v].any()]
    said = ", ".join(f"{v} ({n} decision visits)" for v, n in unused)
    return [
        f"no treatment started at a visit of type {said}, where at the rate of all decision visits at least "
        f"{EXPECTED_STARTS:g} starts were expected: if the clinic does not decide at such visits, say so "
        f"(--decision-visits {','.join(seen)}); taken as decisions they can make the estimate lean "
        "(docs/decision_occasions.md)."
    ]


def screened_out(tables, df: pd.DataFrame, found: Occasions) -> Occasions:
    """``found`` without the decision rows at which the clinic's recorded screening found the patient not eligible
    (``alsfrs.eligible`` false; every start kept, a visit with no recorded screening kept).  At such a visit the
    clinic could not treat: its probability of a start is 0, and a decision model fitted over it extrapolates the
    lottery among the eligible to visits no rule would treat at (on the fifteenth and sixteenth worlds that misfit
    is where the named estimate's lean under no effect came from: docs/decision_oracle.md).  Unchanged when no
    screening is recorded."""
    recorded, eligible = screened(tables, df)
    if not recorded.any():
        return found
    at_risk, start = found.at_risk, found.start
    refused = recorded & ~eligible
    drop = at_risk & refused & ~start
    starts_out = int((start & refused).sum())
    unrecorded = int((at_risk & ~recorded).sum())
    details = found.details | {
        "eligibility_recorded": int((at_risk & recorded).sum()),
        "not_eligible_left_out": int(drop.sum()),
        "starts_not_eligible": starts_out,
    }
    said = [
        f"{int(drop.sum())} of {int(at_risk.sum())} decision visits were recorded as not eligible for the therapy "
        "(alsfrs.eligible) and were left out of the decision model: each start is compared only with visits at which "
        "the clinic could have treated"
        + (f"; {unrecorded} decision visit(s) with no recorded screening were kept" if unrecorded else "")
        + "."
    ]
    if starts_out:
        said.append(
            f"{starts_out} start(s) came at visits recorded as not eligible (kept): treatment outside the recorded "
            "criteria (an exception, or a screening recorded at the wrong visit); the estimate leans where the "
            "recorded screening is not the clinic's rule."
        )
    return Occasions(at_risk & ~drop, start, details, found.warnings + said)


def decision_occasions(
    tables,
    df: pd.DataFrame,
    at_risk: np.ndarray,
    start: np.ndarray,
    lag_days: float = 0.0,
    occasions: tuple[str, ...] = (),
    screening: bool = False,
) -> Occasions:
    """The decision rows and starts of ``df`` (``at_risk``, ``start``: those of every visit, decided on the dose
    day) with the recorded decision dates, the analyst's ``lag_days`` where none is recorded, and only the visit
    types ``occasions`` as decisions (() = every visit), with ``screening`` without the visits the clinic's recorded
    screening found not eligible (:func:`screened_out`; without it, a note where a screening is recorded), with the
    details and warnings the result carries."""
    found = _occasions(tables, df, at_risk, start, lag_days, occasions)
    if screening:
        return screened_out(tables, df, found)
    recorded, _ = screened(tables, df)
    n = int((recorded & found.at_risk).sum())
    if not n:
        return found
    note = (
        f"the registry records the clinic's screening for the therapy (alsfrs.eligible) at {n} decision visits, not "
        "read here; --recorded-eligibility leaves those recorded not eligible out of the decision model (an option: "
        "docs/recorded_eligibility.md)."
    )
    return found._replace(warnings=[*found.warnings, note])


def _occasions(
    tables, df: pd.DataFrame, at_risk: np.ndarray, start: np.ndarray, lag_days: float, occasions: tuple[str, ...]
) -> Occasions:
    """:func:`decision_occasions` before the recorded screening."""
    types = visit_types(tables, df)
    recorded = decided_days(tables, df)
    treated = np.isfinite(df["days_after"].to_numpy(dtype=float))
    n_recorded = int(df.loc[treated & np.isfinite(recorded), "patient_id"].nunique())
    warn: list[str] = []
    if not lag_days and not n_recorded and not occasions:
        if (types != "").any():
            warn += unused_types_warning(types, at_risk, start)
        return Occasions(at_risk, start, {}, warn)
    occ = (types == "") | np.isin(types, occasions) if occasions else np.ones(len(df), dtype=bool)
    lag = np.where(np.isfinite(recorded), recorded, float(lag_days))
    # a visit the history does not read (a self-rating, g_estimation's self_ratings="outcome") is no occasion either
    reads = history_reads(df)
    new_risk, new_start = decision_rows(df, lag, occ & reads)
    started = int(start.sum())
    placed = ~(df["days_after"].to_numpy(dtype=float) > 0)  # visits on or before the first dose
    between = int((placed & ~new_risk & occ & reads).sum())
    unplaced = started - int(new_start.sum())
    details: dict = {}
    if lag_days:
        details |= {"decision_lag_days": float(lag_days)}
    if lag_days or n_recorded:
        details |= {"visits_in_decision_lag": between, "starts_without_decision_visit": unplaced}
    none_before = (
        f"; {unplaced} treated patient(s) had no visit that long before their first dose and take no part in "
        "the decision model"
        if unplaced
        else ""
    )
    if n_recorded:
        n_treated = int(df.loc[treated, "patient_id"].nunique())
        rest = f"at least {float(lag_days):g} days before the first dose" if lag_days else "on or before the dose day"
        others = f" (the others: {rest})" if n_recorded < n_treated else ""
        details["decision_dates_recorded"] = n_recorded
        warn.append(
            f"the decision to treat is taken as made at the last decision visit on or before its recorded "
            f"decision_date for {n_recorded} of {n_treated} treated patients{others}; {between} visit(s) in between "
            f"were neither decisions nor treated{none_before}."
        )
    elif lag_days:
        warn.append(
            f"the decision to treat is taken as made at the last visit at least {float(lag_days):g} days before the "
            f"first dose (decision lag); {between} visit(s) in between were neither decisions nor treated"
            f"{none_before}."
        )
    if occasions:
        skipped = int((~occ & placed).sum())
        unknown = int(((types == "") & new_risk).sum())
        details |= {"decision_visits": list(occasions), "visits_not_decision_occasions": skipped}
        warn.append(
            f"only visits of type {', '.join(occasions)} are taken as occasions for the decision to treat; "
            f"{skipped} visit(s) before a first dose of another type were left out of the decision model"
            + (f" ({unknown} decision visit(s) with no recorded type were kept)" if unknown else "")
            + "."
        )
    elif (types != "").any():
        warn += unused_types_warning(types, new_risk, new_start)
    return Occasions(new_risk, new_start, details, warn)


__all__ = [
    "EXPECTED_STARTS",
    "LEAVE_OUT",
    "Occasions",
    "check_occasions",
    "decided_days",
    "decision_occasions",
    "decision_rows",
    "left_out",
    "left_out_warning",
    "screened",
    "screened_out",
    "unused_types_warning",
    "visit_column",
    "visit_types",
]
