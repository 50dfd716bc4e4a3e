"""Self-ratings between clinic visits: in the outcome only, not occasions for the decision nor read by its history.

Why.  Registries increasingly hold ALSFRS-R ratings the patient or a caregiver made without the clinic
(canonical ``alsfrs.assessor`` ``self`` or ``caregiver``: an online portal, a paper form mailed in; Montes et al.,
Neurology 2006;67:1294–1296, and online: Maier et al., Amyotroph Lateral Scler 2012;13:210–216, found them close to a clinician's on average).
They measure the course as well as the clinic's ratings do, so they belong in the outcome.  Whether they belong in
the *decision* model is another question: g-estimation takes every visit of a not-yet-treated patient as an
occasion at which treatment could have started, and reads the history (the level, its decline since the previous
visit) over every visit.  A clinic that decides at its own contacts, on its own ratings, never decides at a
self-rating, and the decline "since the previous visit" it reads is since its previous rating, not since the
patient's last self-rating.  On the twentieth world (a clinician deciding at reviews on the decline since the
previous review, half its patients rating themselves online in between) the self-ratings read that way carried
about a third of the default's lean under no effect (docs/world20_lean.md).

``self_ratings="outcome"`` (:func:`history_reads`): the visits so rated are no decision occasions (a start is
placed at the last clinic visit on or before the dose or the recorded decision), and the history's terms at a clinic
visit are computed over the clinic's visits only; every visit's outcome still enters the follow-up windows' slopes.
``"read"``: every visit is an occasion and the history reads every visit.  A telephone rating (``phone``) is a
clinic contact and stays an occasion either way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from alscell.analysis.errors import NotApplicable
from alscell.analysis.rater import OTHER_RATERS

# How the self-ratings enter g-estimation (module docstring).
SELF_RATINGS = ("read", "outcome")
# The modes of ``alsfrs.assessor`` that are not a clinic contact (spec/data-format.md): all but a telephone rating
SELF_MODES = tuple(m for m in OTHER_RATERS if m != "phone")
# The analysis frame's column that marks the visits the decision model's history reads (absent: every visit).
READS = "history_reads"


# Said with --self-ratings outcome when nothing is named: on the tenth world (a clinic deciding on the SVC, which the
# default's history does not read) the self-ratings in the history stood in for part of what the decision followed,
# and leaving them out leaned the estimate further; with the SVC read it did not (docs/self_ratings_modes.md).
UNNAMED_NOTE = (
    "  Nothing was named as driving the decision: where it follows something the history does not read (a measure, "
    "a screening), the self-ratings left out of the history stood in for part of it and the estimate can lean "
    "further (docs/self_ratings_modes.md); name it with --adjust-for."
)


# g-estimation's choice where none is asked for (``self_ratings=None``): "read" unless the rule registered with the
# twenty-first world (benchmarks/world21_self_ratings.py) makes it "outcome".
DEFAULT_SELF_RATINGS = "read"


def check_self_ratings(value: str | None) -> str:
    """``value`` if one of :data:`SELF_RATINGS` (None: :data:`DEFAULT_SELF_RATINGS`), else :class:`NotApplicable`
    naming them."""
    if value is None:
        return DEFAULT_SELF_RATINGS
    if value not in SELF_RATINGS:
        raise NotApplicable(f"self ratings: unknown choice {value!r}: use {', '.join(SELF_RATINGS)}.")
    return value


def self_rated(tables, df: pd.DataFrame) -> np.ndarray:
    """Per row of the analysis frame ``df``: whether that visit's ALSFRS-R was rated by the patient or a caregiver
    (``alsfrs.assessor`` in :data:`SELF_MODES`); all False where the frame has no dates or nothing is so rated."""
    from alscell.analysis.decision_occasions import visit_column

    got = visit_column(tables, df, "assessor")
    return np.zeros(len(df), dtype=bool) if got is None else got.isin(SELF_MODES).to_numpy(dtype=bool)


def mark_reads(tables, df: pd.DataFrame, choice: str | None) -> pd.DataFrame:
    """``df`` with :data:`READS` (False at the self-rated visits) where ``choice`` is ``"outcome"`` and some visit is
    self-rated; unchanged otherwise (the history then reads every visit).  ``df.attrs["self_rated"]``: how many of its
    visits are self-rated."""
    choice = check_self_ratings(choice)
    rated = self_rated(tables, df)
    out = df.assign(**{READS: ~rated}) if choice == "outcome" and rated.any() else df
    out.attrs["self_rated"] = int(rated.sum())
    out.attrs["self_rated_undated"] = undated_self_ratings(tables, df) if choice == "outcome" else 0
    return out


def undated_self_ratings(tables, df: pd.DataFrame) -> int:
    """How many of the registry's ALSFRS-R visits are self-rated (:data:`SELF_MODES`) when the analysis frame ``df``
    carries no dates to find them by (a ``data=`` frame of the Python API); 0 when it does or none is recorded."""
    from alscell.io.tables import as_tables

    if tables is None or "date" in df:
        return 0
    a = as_tables(tables)["alsfrs"]
    return int(a["assessor"].isin(SELF_MODES).sum()) if "assessor" in a else 0


def history_reads(df: pd.DataFrame) -> np.ndarray:
    """Per row of ``df``: whether the decision model's history reads that visit (:data:`READS`; every row when
    absent)."""
    return df[READS].to_numpy(dtype=bool) if READS in df else np.ones(len(df), dtype=bool)


def on_read_rows(df: pd.DataFrame, terms: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray:
    """``terms`` (one row per row of its frame) computed over the visits the history reads only and spread to every
    row of ``df`` (:func:`spread_read_rows`).  ``terms(df)`` itself where every visit is read; zeros as wide as it
    where none is (the terms of no visit are not computed: some need one at least)."""
    keep = history_reads(df)
    if keep.all():
        return terms(df)
    if not keep.any():
        return np.zeros_like(np.asarray(terms(df), dtype=float))
    return spread_read_rows(df, np.asarray(terms(df[keep]), dtype=float))


def spread_read_rows(df: pd.DataFrame, sub: np.ndarray) -> np.ndarray:
    """``sub`` (one row per visit the history reads, in ``df``'s order) spread to every row of ``df``: a visit it
    does not read carries its patient's latest read visit's row (0 before the first).  Such a visit is no decision
    occasion, so what it carries enters no decision model; the carry keeps every row finite."""
    keep = history_reads(df)
    last = pd.Series(np.where(keep, np.arange(len(df)), np.nan)).groupby(df["patient_id"].to_numpy()).ffill()
    pos = np.full(len(df), -1)
    pos[keep] = np.arange(int(keep.sum()))
    src = last.to_numpy()
    out = np.zeros((len(df), sub.shape[1]))
    has = np.isfinite(src)
    out[has] = sub[pos[src[has].astype(int)]]
    return out


def self_ratings_note(df: pd.DataFrame, state_only: bool = False, named: bool = True) -> list[str]:
    """What the result says when the self-rated visits were left out of the decision model (none otherwise), with
    the treated patients whose visits on or before the first dose were all self-rated: no start is placed for them.
    ``state_only``: the outcome is not the ALSFRS-R, and its decision history's ALSFRS-R state skipped the
    ``df.attrs["self_rated"]`` self-rated ALSFRS-R visits.  Where the frame carried no dates to find the self-rated
    visits by (``df.attrs["self_rated_undated"]``), that is said instead: every visit was read.  ``named``: whether the
    analyst named what the decision follows (``--adjust-for``); where not, the note says what can then lean."""
    undated = int(df.attrs.get("self_rated_undated", 0))
    if undated:
        return [
            f"--self-ratings outcome: the registry records {undated} ALSFRS-R visit(s) rated by the patient or a "
            "caregiver, but the visits analysed carry no dates to find them by, so every visit was read as an "
            "occasion for the decision to treat."
        ]
    if state_only:
        n = int(df.attrs.get("self_rated", 0))
        return [
            f"{n} ALSFRS-R visit(s) rated by the patient or a caregiver (assessor self or caregiver) were left out of "
            "the decision history's ALSFRS-R state (--self-ratings outcome)."
        ] if n else []  # fmt: skip
    keep = history_reads(df)
    if keep.all():
        return []
    d = df["days_after"].to_numpy(dtype=float)
    before = np.isfinite(d) & (d <= 0)  # the treated patients' visits on or before their first dose
    pid = df["patient_id"].to_numpy()
    lost = len(pd.unique(pid[before])) - len(pd.unique(pid[before & keep]))
    return [
        f"{int((~keep).sum())} visit(s) rated by the patient or a caregiver (assessor self or caregiver) were taken as "
        "no occasions for the decision to treat and left out of the decision history (--self-ratings outcome); "
        "their ratings still measure the course after each decision"
        + (
            f"; {lost} treated patient(s) had only self-ratings on or before their first dose and take no part in the "
            "decision model."
            if lost
            else "."
        )
        + ("" if named else UNNAMED_NOTE)
    ]


__all__ = [
    "DEFAULT_SELF_RATINGS",
    "READS",
    "SELF_MODES",
    "SELF_RATINGS",
    "UNNAMED_NOTE",
    "check_self_ratings",
    "history_reads",
    "mark_reads",
    "on_read_rows",
    "self_rated",
    "self_ratings_note",
    "spread_read_rows",
    "undated_self_ratings",
]
