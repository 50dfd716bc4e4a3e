"""What drove the decision to treat, as the registry records it: the terms an analyst names for g-estimation's
history (``alscell effect --adjust-for``) and the decision visits kept within what the starters had
(``--within-starters``).

Why.  g-estimation is consistent when its history holds everything the decision read that also bears on the
course (alscell.analysis.g_estimation).  Its standard history holds the score's course only; which other
recorded facts a clinic chose on (age, ventilation, a strength asymmetry for intramuscular injections, a site's
policy) differs between registries, and no fixed list is safe: on the sixth simulated world the registry terms
take the lean away, on the eleventh they make one — because the decision there also read a strength asymmetry
that leans the other way, and with everything it read the estimate is honest again (docs/world11_registry_terms.md;
adjusting for only some confounders can move an estimate away from the truth: Steiner & Kim, J Causal Inference
2016;4:20160009).  So the analyst, who knows the clinic's rule, names them.

Terms: :data:`PATIENT_INPUTS` from patients.csv and events.csv (every categorical field of patients.csv among them),
the visit process (:data:`alscell.analysis.visit_process.VISIT_INPUTS`: when the visit came and what was measured at
it, where a clinic decides only at some visits), and any measurement key of spec/domain-rules.md
(the latest value on or before the visit, its change per month and a flag where none yet:
:func:`alscell.analysis.measure_history.measure_terms`; for a measure taken on both sides also the weaker side
over the stronger, the lowest over muscles: a focal, asymmetric weakness).

Eligibility.  A clinic's rule (no ventilation, age at most 75, diagnosis at most 36 months) makes visits where
treatment never starts; a linear decision model extrapolates over them.  :func:`inside_starters` keeps only the
decision visits whose named terms lie where some start was seen (the values the starters had; continuous terms
between the starters' least and largest): a restriction by the history, so sequential ignorability still holds
on what is kept, and every start is kept (positivity by design; on the sixth world it takes the whole lean away:
docs/world11_registry_terms.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alscell.analysis.errors import NotApplicable
from alscell.analysis.history_contrast import checks_json
from alscell.analysis.measure_history import COURSE_COLUMNS, as_of, course_terms, measure_terms
from alscell.analysis.visit_process import VISIT_INPUTS, measured_terms, spacing_terms, type_terms
from alscell.domain.measures import MEASURES as MEASURE_KEYS
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.io.tables import as_tables

# The columns of :func:`registry_terms`, as the registry terms' contrast names them.
REGISTRY_TERMS = (
    "age",
    "age (unknown)",
    "time since diagnosis",
    "time since diagnosis (unknown)",
    "ventilation",
    "gastrostomy",
)
# Events that make a visit's "on support" flags in :func:`registry_terms` (spec/data-format.md events.csv).
SUPPORT_EVENTS = {
    "ventilation": ("niv_start", "permanent_ventilation", "tracheostomy"),
    "gastrostomy": ("gastrostomy",),
}


# Terms from patients.csv and events.csv an analyst may name (``--adjust-for``), besides measurement keys.
PATIENT_INPUTS = (
    "age",
    "time_since_onset",
    "time_since_diagnosis",
    "ventilation",
    "gastrostomy",
    "sex",
    "site",
    "onset_site",
    "el_escorial",
    "genetics",
    "riluzole",
    "edaravone",
)
# The categorical fields of patients.csv among them (spec/data-format.md): one column per value but the most common.
CATEGORICAL = ("sex", "site", "onset_site", "el_escorial", "genetics")
# The columns of registry_terms each of the first four names.
REGISTRY_COLUMNS = {"age": (0, 1), "time_since_diagnosis": (2, 3), "ventilation": (4,), "gastrostomy": (5,)}
# Measures read on the log scale (concentrations spanning orders of magnitude between patients; NfL: Benatar et
# al., Neurology 2020).
LOG_UNITS = ("pg/mL", "ng/mL")
# How named terms enter the history (``--adjust-shape``): as they are, with restricted cubic spline terms for the
# continuous levels (:func:`spline_terms`), or those and each named measure's course since its first value
# (``course``: alscell.analysis.measure_history.course_terms; a candidate since 2026-12-06, thirty-fifth session,
# built on the fifteenth and sixteenth worlds, docs/decision_oracle.md).
ADJUST_SHAPES = ("linear", "spline", "course")
# The shapes that add the continuous levels' spline terms.
SPLINE_SHAPES = ("spline", "course")
# The shape named terms take when the request does not say (the CLI's, API's and page's default; the Python
# function g_estimation keeps "linear", which the stored pages' "named" rows used).  Spline since 2026-12-06, by the
# rule committed before the fourteenth world ran (commit 50f096b): there the spline was within every band in more
# cells than the linear names (6 against 5 of 27; docs/calibration_world14.md).
DEFAULT_SHAPE = "spline"
# Knot percentiles of a restricted cubic spline with four knots (Harrell 2015, table 2.3: 5, 35, 65, 95).
SPLINE_KNOTS = (0.05, 0.35, 0.65, 0.95)


WITHIN_NEEDS_NAMES = (
    "within the starters: name the recorded terms the decision was restricted on (adjust for ...); the decision "
    "visits are then kept within the values the patients who started had."
)

# The longest decision lag accepted (``--decision-lag``): a year; programmes give cells weeks after the decision
# (autologous bone-marrow cells: harvest and expansion, about 3–6 weeks; NurOwn's phase 3: Cudkowicz et al., Muscle
# Nerve 2022;65:291–302).
MAX_LAG_DAYS = 365.0

SHAPE_NEEDS_NAMES = (
    "adjust shape: name the recorded terms the decision read (adjust for ...); their continuous levels then enter "
    "as splines."
)
ELIGIBLE_NEEDS_NAMES = (
    "eligible when: name the recorded terms the eligibility reads (adjust for ...); its conditions are on their "
    "columns."
)
# What the result says of the clinic's recorded screening (alscell.analysis.decision_occasions.screened_out).
SCREENING_KEYS = ("eligibility_recorded", "not_eligible_left_out", "starts_not_eligible")

# The comparisons an eligibility condition may make (``--eligible-when "TERM OP NUMBER; ..."``).
ELIGIBLE_OPS = {
    "<=": np.less_equal,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    ">": np.greater,
}
_CONDITION = re.compile(
    r"^\s*(?P<term>.*?[^<>=!\s])\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$"
)


@dataclass(frozen=True)
class Inputs:
    """The named terms at every row of the analysis frame: ``X`` (rows × columns), each column's name, and
    whether it is a level (what an eligibility rule cuts on; :func:`inside_starters` looks at those) rather than
    a change per month."""

    X: np.ndarray
    names: list[str]
    levels: np.ndarray


def parse_adjust_for(text: str | None) -> tuple[str, ...]:
    """The comma-separated terms of ``--adjust-for`` (or the API's ``adjust_for``), checked: each one of
    :data:`PATIENT_INPUTS`, :data:`VISIT_INPUTS` or a measurement key; () for none."""
    names = tuple(dict.fromkeys(x.strip() for x in (text or "").split(",") if x.strip()))
    unknown = [n for n in names if n not in PATIENT_INPUTS and n not in VISIT_INPUTS and n not in MEASURE_KEYS]
    if unknown:
        raise NotApplicable(
            f"adjust for: unknown term(s) {', '.join(repr(n) for n in unknown)}: use "
            f"{', '.join((*PATIENT_INPUTS, *VISIT_INPUTS))} or a measurement key ({', '.join(MEASURE_KEYS)})."
        )
    return names


def check_shape(shape: str) -> str:
    """``shape`` if it is one of :data:`ADJUST_SHAPES`, else a clear error naming them."""
    if shape not in ADJUST_SHAPES:
        raise NotApplicable(f"adjust shape: unknown {shape!r}: use {', '.join(ADJUST_SHAPES)}.")
    return shape


def parse_eligible(text: str | None) -> tuple[tuple[str, str, float], ...]:
    """The conditions of ``--eligible-when`` (or the API's ``eligible_when``): ``TERM OP NUMBER`` separated by ``;``
    (a term is a named history column, such as ``time since onset``, ``ventilation`` or ``fvc_pct_pred over its
    first``; OP one of :data:`ELIGIBLE_OPS`), checked for form; () for none.  Which terms exist is checked against
    the named columns when the estimate is made (:func:`eligible_rows`)."""
    conditions = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        m = _CONDITION.match(part)
        if m is None:
            raise NotApplicable(
                f"eligible when: {part.strip()!r} is not TERM OP NUMBER (OP one of {', '.join(ELIGIBLE_OPS)}; "
                "conditions separated by ';')."
            )
        conditions.append((m["term"], m["op"], float(m["value"])))
    return tuple(conditions)


def eligible_text(conditions: tuple[tuple[str, str, float], ...]) -> list[str]:
    """The conditions of :func:`parse_eligible` as the results show them (``"age <= 75"``)."""
    return [f"{term} {op} {value:g}" for term, op, value in conditions]


def eligible_rows(columns: Mapping[str, np.ndarray], conditions: tuple[tuple[str, str, float], ...]) -> np.ndarray:
    """Whether each row meets every condition (:func:`parse_eligible`) on ``columns`` (name → values per row).
    Raises :class:`NotApplicable` naming the columns there are when a condition's term is not one of them."""
    keep = np.ones(len(next(iter(columns.values()))) if columns else 0, dtype=bool)
    for term, op, value in conditions:
        if term not in columns:
            raise NotApplicable(
                f"eligible when: no column {term!r} among the named terms' ({', '.join(columns)}); with "
                "--adjust-shape course or not, each named measure's course columns can be used too."
            )
        keep &= ELIGIBLE_OPS[op](columns[term], value)
    return keep


def check_lag(days: float | str | None) -> float:
    """The decision lag of ``--decision-lag`` in days (0 when not given), checked: a number from 0 to
    :data:`MAX_LAG_DAYS` (None or an empty form field: 0)."""
    if days is None or (isinstance(days, str) and not days.strip()):
        return 0.0
    try:
        value = float(days)
    except (TypeError, ValueError):
        raise NotApplicable(f"decision lag: {days!r} is not a number of days.") from None
    if not 0.0 <= value <= MAX_LAG_DAYS:  # also refuses NaN
        raise NotApplicable(f"decision lag: {days!r} days is outside 0 to {MAX_LAG_DAYS:g} days.")
    return value


def check_history(history: str) -> str:
    """``history`` if it is one of g-estimation's decision histories
    (:data:`alscell.analysis.g_estimation.HISTORIES`), else the sentence g-estimation gives for it (``--history``; the
    API's and the page's ``history``)."""
    from alscell.analysis.g_estimation import HISTORIES  # (g_estimation imports this module)

    if history not in HISTORIES:
        raise NotApplicable(f"unknown history {history!r}: use {', '.join(HISTORIES)}.")
    return history


def named_options(
    text: str | None,
    within: bool,
    method: str,
    shape: str | None = None,
    lag_days: float | str | None = None,
    occasions: str | None = None,
    leave_out: str | None = None,
    eligible: str | None = None,
    screening: bool = False,
    raters: bool | None = None,
    self_ratings: str | None = None,
    history: str | None = None,
) -> dict:
    """The keyword arguments of an effect request that names what drove the decision (``--adjust-for``,
    ``--within-starters``, ``--adjust-shape``, ``--decision-lag``, ``--decision-visits``; the API's ``adjust_for``,
    ``within_starters``, ``adjust_shape``, ``decision_lag_days``, ``decision_visits``), checked: {} when none; the
    shape :data:`DEFAULT_SHAPE` when not given, ``adjust_shape`` only when not linear (g_estimation's own default),
    ``decision_lag_days`` only when above 0, ``decision_visits`` and ``leave_out_visits`` (``--leave-out-visits``)
    only when some are given, ``recorded_eligibility`` (``--recorded-eligibility``: read the clinic's recorded
    screening, alscell.analysis.decision_occasions.screened_out) only when asked, and ``hold_raters`` as asked
    (``raters``: ``--hold-raters`` True, ``--raters-as-recorded`` False, neither None — g-estimation's own default,
    held where two raters or more are recorded; alscell.analysis.rater_identity) and ``self_ratings`` (``--self-ratings``:
    ``read`` or ``outcome``, how the ratings the patient or a caregiver made enter; checked by
    :func:`alscell.analysis.self_ratings.check_self_ratings`) only when given — not given (None or empty),
    g-estimation's own :data:`alscell.analysis.self_ratings.DEFAULT_SELF_RATINGS` — and ``history`` (``--history``:
    the decision history the decision model and the history regressions read, one of
    :data:`alscell.analysis.g_estimation.HISTORIES`; checked by :func:`check_history`) only when given — not given (None
    or empty), g-estimation's own :data:`alscell.analysis.g_estimation.DEFAULT_HISTORY`.  Only g-estimation has a
    decision model to hold them (with ``--sensitivity``, the primary's)."""
    from alscell.analysis.decision_occasions import LEAVE_OUT, check_occasions
    from alscell.analysis.self_ratings import check_self_ratings

    names = parse_adjust_for(text)
    asked = bool(shape)
    shape = check_shape(shape or DEFAULT_SHAPE)
    lag = check_lag(lag_days)
    visits, out = check_occasions(occasions), check_occasions(leave_out, LEAVE_OUT)
    rated = check_self_ratings(self_ratings) if self_ratings else None  # not given: g_estimation's default
    chosen = check_history(history) if history else None  # not given: g_estimation's default (DEFAULT_HISTORY)
    if within and not names:
        raise NotApplicable(WITHIN_NEEDS_NAMES)
    if asked and shape != "linear" and not names:
        raise NotApplicable(SHAPE_NEEDS_NAMES)
    conditions = parse_eligible(eligible)
    if conditions and not names:
        raise NotApplicable(ELIGIBLE_NEEDS_NAMES)
    # (ratings as recorded asked of another method: nothing to do; it holds no rater's offset)
    raters = None if raters is False and method != "g_estimation" else raters
    # (likewise every visit read: another method reads every visit as an outcome and has no decision model)
    rated = None if rated == "read" and method != "g_estimation" else rated
    if not any((names, lag, visits, out, screening, raters is not None, rated is not None, chosen is not None)):
        return {}
    if method != "g_estimation":
        what = (
            "adjust for" if names else "decision lag" if lag else "decision visits" if visits
            else "leave out visits" if out else "recorded eligibility" if screening
            else "hold raters" if raters is not None else "self ratings" if rated is not None else "history"
        )  # fmt: skip
        raise NotApplicable(
            f"{what}: only g_estimation models the decision to treat (the method asked for is {method})."
        )
    options: dict = {"adjust_for": names, "within_starters": bool(within)} if names else {}
    if names and shape != "linear":
        options["adjust_shape"] = shape
    options |= {"eligible_when": conditions} if conditions else {}
    options |= {"decision_lag_days": lag} if lag else {}
    options |= {"recorded_eligibility": True} if screening else {}
    options |= {"hold_raters": bool(raters)} if raters is not None else {}
    options |= {"self_ratings": rated} if rated is not None else {}
    options |= {"history": chosen} if chosen is not None else {}
    return options | ({"decision_visits": visits} if visits else {}) | ({"leave_out_visits": out} if out else {})


def measures_read(outcome: str, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """The measurement keys an effect on ``outcome`` with the named terms ``names`` reads — the outcome's, the named
    measures' and those g-estimation's history check adds (:data:`alscell.analysis.measure_history.MEASURES`: FVC,
    SVC, weight, NfL) — or None when it reads every measurement (``visit_measures``: what was taken at each visit).
    ``alscell effect`` and ``GET /api/v1/effect`` keep only these (a large registry's hand-held dynamometry alone is
    most of its rows), so both read the same."""
    from alscell.analysis.measure_history import MEASURES

    return None if "visit_measures" in names else tuple(dict.fromkeys((outcome, *names, *MEASURES)))


def named_json(obj: dict, options: dict, details: dict) -> dict:
    """An effect request's JSON object (the contract's keys first, unchanged) extended by the history checks that
    ran (``measures_check``, ``history_check``: :func:`alscell.analysis.history_contrast.checks_json`) and by
    ``decision_inputs`` when
    the request named terms or a decision lag (``options``, :func:`named_options`): ``named`` (as asked),
    ``columns`` (the history columns they gave that added to it; empty when no estimate was made),
    ``within_starters`` and ``outside_starters`` (decision visits it left out, or null), ``shape`` (linear, spline or
    course), ``decision_lag_days`` (0 when not given) and ``decision_visits`` (the visit types taken as decision
    occasions; empty: every visit), ``left_out_visits`` (the visit types left out of the analysis), ``eligible_when``
    (the stated eligibility's conditions; empty: none) and ``outside_eligibility`` (decision visits it left out, or
    null), ``recorded_eligibility`` (whether the clinic's recorded screening, ``alsfrs.eligible``, was read) and, when
    it was read, ``eligibility_recorded`` (decision visits with a recorded screening), ``not_eligible_left_out`` (those
    found not eligible, left out of the decision model) and ``starts_not_eligible`` (starts at such visits, kept),
    each null when none was read (:func:`alscell.analysis.decision_occasions.screened_out`), ``hold_raters``
    (whether each recorded rater's offset was held: asked, or by default where two raters or more are recorded, which
    ``raters_held_by_default`` says; what was held: the result's ``details.rater_offsets_held``;
    :func:`raters_held_summary`), then ``self_ratings`` (how the ratings made by the patient or a caregiver entered,
    ``read`` or ``outcome``: the result's ``details.self_ratings``; null where no visit is so rated) and
    ``self_rated_visits_not_read`` (with ``outcome``, the self-rated visits the decision model neither decided at nor
    read; null otherwise; alscell.analysis.self_ratings) and, when the request asked for a decision history
    (``--history``), ``history`` (the history used: the result's ``details.history``; null when no estimate was made).
    Also where nothing was named but the raters were held by
    default, or self-rated visits were left out of the decision model by g-estimation's default
    (:data:`alscell.analysis.self_ratings.DEFAULT_SELF_RATINGS`)."""
    asked = (
        "adjust_for", "decision_lag_days", "decision_visits", "leave_out_visits", "recorded_eligibility",
        "hold_raters", "self_ratings", "history",
    )  # fmt: skip
    checks = checks_json(details)  # the history checks that ran, before the named inputs
    obj = obj | checks if checks else obj
    by_default = "hold_raters" not in options and any_rater_held(details)
    not_read_by_default = "self_ratings" not in options and bool(details.get("self_rated_visits_not_read"))
    if not any(options.get(k) for k in asked) and not by_default and not not_read_by_default:
        return obj
    return obj | {
        "decision_inputs": {
            "named": list(options.get("adjust_for", ())),
            "columns": list(details.get("adjusted_columns", [])),
            "within_starters": bool(options.get("within_starters")),
            "outside_starters": details.get("outside_starters"),
            "shape": options.get("adjust_shape", "linear"),
            "decision_lag_days": float(options.get("decision_lag_days", 0.0)),
            "decision_visits": list(options.get("decision_visits", ())),
            "left_out_visits": list(options.get("leave_out_visits", ())),
            "eligible_when": eligible_text(options.get("eligible_when", ())),
            "outside_eligibility": details.get("outside_eligibility"),
            "recorded_eligibility": bool(options.get("recorded_eligibility")),
            **{k: details.get(k) for k in SCREENING_KEYS},
            "hold_raters": bool(options.get("hold_raters")) or by_default,
            "raters_held_by_default": by_default,
            **raters_held_summary(details.get("rater_offsets_held")),
            "self_ratings": details.get("self_ratings"),
            "self_rated_visits_not_read": details.get("self_rated_visits_not_read"),
            **({"history": details.get("history")} if options.get("history") else {}),
        }
    }


def any_rater_held(details: dict) -> bool:
    """Whether g-estimation held at least one group's offset (``details["rater_offsets_held"]``: asked or by default;
    none held where none could be estimated)."""
    held = details.get("rater_offsets_held") or {}
    return any(c["identified"] for c in held.get("columns", {}).values())


def raters_held_summary(held: dict | None) -> dict:
    """What holding the raters' offsets did (g_estimation's ``details["rater_offsets_held"]``), without the raters' ids:
    ``rater_offsets_held`` (the groups — raters and assessor modes — whose offsets were estimated and held),
    ``rater_offset_groups`` (the groups other than the reference) and ``estimate_as_recorded`` (the estimate without
    holding them); {} when nothing was held.  (Not the mixed model's ``raters_held``, a list of modes.)"""
    if not held:
        return {}
    cols = held["columns"].values()
    return {
        "rater_offsets_held": sum(c["identified"] for c in cols),
        "rater_offset_groups": len(cols),
        "estimate_as_recorded": held["estimate_as_recorded"],
    }


def _categories(values: pd.Series, name: str) -> tuple[list[np.ndarray], list[str]]:
    """0/1 columns for each value of a categorical term but the most common, and one where it is unknown."""
    known = values.dropna().astype(str)
    if known.empty:
        raise NotApplicable(f"adjust for {name}: no patient has one recorded.")
    order = known.value_counts().index.tolist()
    cols = [((values.astype(str) == v) & values.notna()).to_numpy(float) for v in order[1:]]
    names = [f"{name} {v}" for v in order[1:]]
    if values.isna().any():
        cols.append(values.isna().to_numpy(float))
        names.append(f"{name} (unknown)")
    return cols, names


def _asymmetry(m: pd.DataFrame, key: str, df: pd.DataFrame) -> tuple[list[np.ndarray], list[str]]:
    """For a measure taken on both sides: the weaker side over the stronger on or before each visit (the lowest
    over muscles measured on one day), the median and a flag where none yet."""
    r = m[(m["measure"] == key) & m["side"].isin(("left", "right"))] if "side" in m else m.iloc[:0]
    if r.empty:
        return [], []
    muscle = r["muscle"].fillna("") if "muscle" in r else pd.Series("", index=r.index)
    r = r.assign(v=pd.to_numeric(r["value"], errors="coerce"), muscle=muscle, date=pd.to_datetime(r["date"]))
    sides = r.pivot_table(index=["patient_id", "date", "muscle"], columns="side", values="v", aggfunc="mean")
    if not {"left", "right"} <= set(sides.columns):
        return [], []
    both = sides.dropna(subset=["left", "right"])
    hi = both[["left", "right"]].max(axis=1)
    ratio = (both[["left", "right"]].min(axis=1) / hi.where(hi > 0)).dropna()
    if ratio.empty:
        return [], []
    lowest = ratio.groupby(level=["patient_id", "date"]).min().rename("ratio").reset_index()
    value = as_of(df, lowest)["ratio"].to_numpy(float)
    none = ~np.isfinite(value)
    return [np.where(none, float(lowest["ratio"].median()), value), none.astype(float)], [
        f"{key} weaker/stronger side",
        f"{key} weaker/stronger side (none yet)",
    ]


def decision_inputs(tables, df: pd.DataFrame, names: tuple[str, ...], course: bool = False) -> Inputs:
    """The columns of the named terms (:func:`parse_adjust_for`) at every row of the analysis frame ``df``
    (``patient_id``, ``date``); with ``course``, after them each named measure's course since its first value
    (:func:`alscell.analysis.measure_history.course_terms`).  Raises :class:`NotApplicable` when the visits carry
    no dates or a named term is recorded for no patient (a name the analyst gave that the registry cannot answer)."""
    names = parse_adjust_for(",".join(names))  # the Python API's names checked as a request's are
    if "date" not in df:
        raise NotApplicable("adjust for: the visits carry no dates, so no recorded term can be placed in time.")
    t = as_tables(tables)
    pid = df["patient_id"]
    pt = t["patients"].drop_duplicates("patient_id").set_index("patient_id")
    cols: list[np.ndarray] = []
    col_names: list[str] = []
    levels: list[bool] = []

    def add(new: list[np.ndarray], labels: list[str], level: list[bool] | None = None) -> None:
        cols.extend(new)
        col_names.extend(labels)
        levels.extend(level if level is not None else [True] * len(new))

    registry = registry_terms(t, df) if any(n in REGISTRY_COLUMNS for n in names) else None
    m = t["measurements"]
    for name in names:
        if name in REGISTRY_COLUMNS:
            column = {"age": "birth_year", "time_since_diagnosis": "diagnosis_date"}.get(name)
            if column and (column not in pt or pt[column].isna().all()):
                raise NotApplicable(f"adjust for {name}: no patient has a {column} recorded.")
            assert registry is not None
            idx = REGISTRY_COLUMNS[name]
            add([registry[:, j] for j in idx], [REGISTRY_TERMS[j] for j in idx])
        elif name == "time_since_onset":  # onset_date is required (spec/data-format.md): known for everyone
            onset = (
                pd.to_datetime(pid.map(pt["onset_date"])) if "onset_date" in pt else pd.Series(pd.NaT, index=df.index)
            )
            months = ((pd.to_datetime(df["date"]) - onset).dt.days / DPM).to_numpy(float)
            if not np.isfinite(months).any():
                raise NotApplicable(f"adjust for {name}: no patient has an onset_date recorded.")
            add([np.where(np.isfinite(months), months, np.nanmedian(months))], ["time since onset"])
        elif name in CATEGORICAL:
            values = pid.map(pt[name]) if name in pt else pd.Series(np.nan, index=df.index)
            values = values.where(values != "U") if name == "sex" else values
            add(*_categories(values, name))
        elif name in ("riluzole", "edaravone"):
            raw = pid.map(pt[name]) if name in pt else pd.Series(np.nan, index=df.index)
            on = raw.astype(str).str.lower().isin(("true", "1"))
            known = raw.notna()
            if not known.any():
                raise NotApplicable(f"adjust for {name}: no patient has it recorded.")
            add([on.to_numpy(float)], [name])
            if not known.all():
                add([(~known).to_numpy(float)], [f"{name} (unknown)"])
        elif name == "visit_spacing":
            add(*spacing_terms(df))
        elif name == "visit_measures":
            add(*measured_terms(t, df))
        elif name == "visit_types":
            add(*type_terms(t, df))
        else:
            log = MEASURE_KEYS[name].unit in LOG_UNITS
            X, labels = measure_terms(t, df, {name: log})
            if not labels:
                blood = " from blood (serum or plasma)" if MEASURE_KEYS[name].needs_specimen else ""
                raise NotApplicable(f"adjust for {name}: no {name}{blood} is recorded in this registry.")
            add(list(X.T), labels, [True, False, True])
            if MEASURE_KEYS[name].needs_side:
                add(*_asymmetry(m, name, df))
    if course:
        measures = {n: MEASURE_KEYS[n].unit in LOG_UNITS for n in names if n in MEASURE_KEYS}
        C, labels = course_terms(t, df, measures)
        add(list(C.T), labels, [lv for _ in range(len(labels) // len(COURSE_COLUMNS)) for _, lv in COURSE_COLUMNS])
    X = np.column_stack(cols) if cols else np.empty((len(df), 0))
    return Inputs(X, col_names, np.array(levels, dtype=bool))


def inside_starters(X: np.ndarray, levels: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Which rows of ``X`` (the decision visits; ``starts`` marks those at which treatment started) lie where
    a start was seen, on every level column: a 0/1 column's value some start had, a continuous column's value
    between the starters' least and largest.  Every start is kept."""
    keep = np.ones(len(X), dtype=bool)
    s = starts.astype(bool)
    if not s.any():
        return keep
    for j in np.flatnonzero(levels):
        x, xs = X[:, j], X[s, j]
        if np.isin(X[:, j], (0.0, 1.0)).all():
            keep &= np.isin(x, np.unique(xs))
        else:
            keep &= (x >= xs.min()) & (x <= xs.max())
    return keep


def spline_terms(inputs: Inputs, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(X, names): for each continuous level column of ``inputs`` (age, months since onset or diagnosis, a
    measure's latest value, a side ratio), the restricted cubic spline terms of Harrell (Regression Modeling
    Strategies, 2nd ed. 2015, section 2.4.5) with knots at the :data:`SPLINE_KNOTS` percentiles of its values on
    the decision rows ``rows``: cubic between the knots, linear beyond the outer ones, so that the decision model
    and the outcome regression can bend where a rule cuts (an eligibility's FVC at least 60%) without a world's
    threshold written in.  The linear term itself is the input's own column; a column with fewer than three
    distinct knots gives none."""
    cols: list[np.ndarray] = []
    names: list[str] = []
    for j in np.flatnonzero(inputs.levels):
        x = inputs.X[:, j]
        if np.isin(x, (0.0, 1.0)).all():
            continue
        knots = np.unique(np.quantile(x[rows], SPLINE_KNOTS)) if len(rows) else np.empty(0)
        if len(knots) < 3:
            continue
        basis = restricted_cubic_spline(x, knots)
        cols.extend(basis.T)
        names.extend(f"{inputs.names[j]} (spline {i + 1})" for i in range(basis.shape[1]))
    return (np.column_stack(cols) if cols else np.empty((len(inputs.X), 0))), names


def restricted_cubic_spline(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """The k − 2 nonlinear columns of a restricted (natural) cubic spline in ``x`` with the k ``knots``
    (increasing), in Harrell's parametrisation, each divided by (t_k − t_1)² so that they are on the scale of
    ``x`` (Harrell 2015, eq. 2.25; the rcspline.eval of R's Hmisc with norm=2)."""
    t = np.asarray(knots, dtype=float)
    k = len(t)
    scale = (t[-1] - t[0]) ** 2

    def cube(v: np.ndarray) -> np.ndarray:
        return np.maximum(v, 0.0) ** 3

    tail = (cube(x - t[-2])[:, None], cube(x - t[-1])[:, None])
    tj = t[: k - 2][None, :]
    out = cube(x[:, None] - tj) - tail[0] * (t[-1] - tj) / (t[-1] - t[-2]) + tail[1] * (t[-2] - tj) / (t[-1] - t[-2])
    return out / scale


def registry_terms(tables, df: pd.DataFrame) -> np.ndarray:
    """Extra history terms of ``history="registry"``: what clinics decide on and registries record beside the
    score — age at the visit (from ``birth_year``), months since diagnosis (from ``diagnosis_date``), each with
    a flag where unknown (then the median), and whether ventilation (NIV, permanent ventilation or a
    tracheostomy) or a gastrostomy had started on or before the visit (:data:`SUPPORT_EVENTS`; a gastrostomy
    also from a recorded q5b on or before it, spec/data-format.md).  Eligibility rules of MSC programmes name
    exactly these (age, disease duration, ventilation); each also bears on the course.  No date in ``df``:
    nothing (the caller warns)."""
    if "date" not in df:
        return np.empty((len(df), 0))
    t = as_tables(tables)
    pid, date = df["patient_id"], pd.to_datetime(df["date"])
    pt = t["patients"].drop_duplicates("patient_id").set_index("patient_id")
    cols: list[np.ndarray] = []

    def known_or_median(x: np.ndarray) -> None:
        unknown = ~np.isfinite(x)
        cols.extend([np.where(unknown, np.nanmedian(x) if (~unknown).any() else 0.0, x), unknown.astype(float)])

    birth = pid.map(pt["birth_year"]) if "birth_year" in pt else pd.Series(np.nan, index=df.index)
    known_or_median(date.dt.year.to_numpy(float) - pd.to_numeric(birth, errors="coerce").to_numpy(float))
    diag = (
        pd.to_datetime(pid.map(pt["diagnosis_date"])) if "diagnosis_date" in pt else pd.Series(pd.NaT, index=df.index)
    )
    known_or_median(((date - diag).dt.days / DPM).to_numpy(float))
    ev, a = t["events"], t["alsfrs"]
    for name, kinds in SUPPORT_EVENTS.items():
        starts = [ev.loc[ev["event"].isin(kinds), ["patient_id", "date"]]] if len(ev) else []
        if name == "gastrostomy" and "q5b" in a:
            starts.append(a.loc[a["q5b"].notna(), ["patient_id", "date"]])
        both = pd.concat(starts) if starts else pd.DataFrame(columns=["patient_id", "date"])
        first = pd.to_datetime(both["date"]).groupby(both["patient_id"]).min()
        since = pd.to_datetime(pid.map(first))
        cols.append((since.notna() & (since <= date)).to_numpy(float))
    return np.column_stack(cols)


__all__ = [
    "ADJUST_SHAPES",
    "DEFAULT_SHAPE",
    "PATIENT_INPUTS",
    "REGISTRY_TERMS",
    "SCREENING_KEYS",
    "SUPPORT_EVENTS",
    "VISIT_INPUTS",
    "Inputs",
    "check_history",
    "check_lag",
    "check_shape",
    "decision_inputs",
    "eligible_rows",
    "eligible_text",
    "inside_starters",
    "measures_read",
    "named_json",
    "named_options",
    "parse_adjust_for",
    "parse_eligible",
    "raters_held_summary",
    "registry_terms",
    "restricted_cubic_spline",
    "spline_terms",
]
