"""Who rated each ALSFRS-R visit — the person, not the mode — and each rater's offset held in g-estimation.

The canonical ``assessor`` says *how* a visit was rated (:mod:`alscell.analysis.rater` holds each mode's
offset); the optional extension ``alsfrs.rater`` (docs/data-rules.md) says *who*.  Raters differ in how leniently
they score: inter-rater agreement on the ALSFRS-R is high but not perfect (an intraclass correlation of 0.93 among
19 trial raters scoring the same nine patients: Kaufmann et al., Amyotroph Lateral Scler 2007;8:42–46; three
raters against a self-administered version: Bakker et al., J Neurol Neurosurg Psychiatry 2020;91:75–81).  A clinic's few raters see many patients, so one rater's leniency enters many patients' slopes at
once: the patients' errors are then correlated through their raters, the per-patient (cluster-robust) standard
error is too small, and where the visits at which treatment starts are rated by other people than the rest (a cell
programme's own staff), every slope measured from a start carries their difference.  On the eighteenth world (ten
raters, leniency N(0, 0.25²) on the logit of each domain) the raters' leniencies made the estimates vary more than
their SEs said (empirical SD / model SE 1.23 with them, 0.89 without: docs/world18_raters.md).

What is done (``hold_raters=True`` in :func:`alscell.analysis.g_estimation.g_estimation`, and its default wherever two
raters or more are recorded: :func:`raters_by_default`, docs/world20_hold_raters.md): each rater's offset
from the reference rater (the one with the most visits; visits with no recorded rater form a group of their own)
is estimated within patients from every visit before any treatment, the starts included (a group seen before any
treatment only at starts is not estimated: its readings there were all selected by the decision), as a linear
function of the level (:func:`alscell.analysis.rater_drift.rater_offsets`, design "quadratic": each visit against its
patient's own quadratic in time, a straight line for patients with fewer than four visits), jointly with the modes
of ``assessor``; every identified offset is removed from the
slopes (g-estimation is linear in the outcome) with its sampling error added to the standard error, and from the
history's score terms (each visit's level and declines as the reference rater would have read them: a lenient
reading is not a level above the course).  Until the thirty-eighth session (2026-12-07) the history stayed as
recorded and took who rated the decision visit instead; where raters go with the occasions (a programme's raters rate
only its visits) those flags let the decision model tell the occasions apart, and on the eighteenth world the held
estimate moved away from what perfectly corrected ratings give (docs/world18_leniency_ratings.md).  A rater is
identified when at least
:data:`alscell.analysis.rater_drift.MIN_OFFSET_PATIENTS` patients were rated both by them and by someone else before
any treatment; the others stay in the reference's group and are said.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.analysis.design_matrix import ALSFRS_OUTCOMES
from alscell.analysis.rater import rater_flags
from alscell.analysis.rater_drift import MIN_OFFSET_PATIENTS, Offsets
from alscell.io.tables import as_tables

# The name of the group of visits that record no rater (their raters are unknown: one group, its own offset).
UNRECORDED = "(not recorded)"
NO_RATERS_NOTE = (
    "each rater's offset was to be held (hold_raters), but the visits give no two groups of raters to compare "
    "(alsfrs.rater records fewer than two, or the visits carry no dates), so there was none to hold: the estimate is "
    "the one without it."
)


def _raters(a: pd.DataFrame) -> pd.Series:
    """``alsfrs.rater`` with blanks as missing (a frame built in code may hold ""); all missing where absent."""
    if "rater" not in a:
        return pd.Series(pd.NA, index=a.index, dtype="string")
    return a["rater"].astype("string").str.strip().replace("", pd.NA)


NOT_BY_DEFAULT = (
    "each recorded rater's offset is held by default where two raters or more are recorded (docs/world20_hold_raters.md), "
    "but not with effect modifiers or learned nuisance models: the ratings were read as recorded."
)


def raters_by_default(tables, outcome: str, unsupported: bool) -> tuple[bool, list[str]]:
    """(hold, notes): g-estimation's default for ``hold_raters`` — hold each rater's offset where ``alsfrs.rater``
    records two raters or more and the outcome is an ALSFRS-R score (the rule registered with the twentieth world met:
    docs/world20_hold_raters.md), with a note instead where the request's models cannot hold them (``unsupported``:
    effect modifiers or learned nuisance models)."""
    if outcome not in ALSFRS_OUTCOMES or recorded_raters(tables) < 2:
        return False, []
    return (False, [NOT_BY_DEFAULT]) if unsupported else (True, [])


def recorded_raters(tables) -> int:
    """How many raters ``alsfrs.rater`` names (0 where the column is absent or empty)."""
    return int(_raters(as_tables(tables)["alsfrs"]).nunique())


def rater_groups(tables, df: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """(codes, names): for each row of the analysis frame ``df`` (``patient_id``, ``date``) the index into ``names``
    of who rated it (``alsfrs.rater``; :data:`UNRECORDED` where empty or where the visit has no ALSFRS-R row),
    names ordered by number of visits, most first (ties by name), so ``names[0]`` is the reference.  No rater
    recorded anywhere, or no dates: ``names`` is empty."""
    a = as_tables(tables)["alsfrs"]
    rater = _raters(a)
    if "date" not in df or rater.isna().all():
        return np.zeros(len(df), dtype=int), ()
    rated = a.assign(rater=rater).loc[rater.notna(), ["patient_id", "date", "rater"]]
    rated = rated.assign(date=pd.to_datetime(rated["date"])).drop_duplicates(["patient_id", "date"])
    keys = pd.DataFrame({"patient_id": df["patient_id"].to_numpy(), "date": pd.to_datetime(df["date"]).to_numpy()})
    who = keys.merge(rated, on=["patient_id", "date"], how="left")["rater"].fillna(UNRECORDED).astype(str)
    counts = who.value_counts()
    names = tuple(sorted(counts.index, key=lambda r: (-int(counts[r]), r)))
    return pd.Index(names).get_indexer(who.to_numpy()), names


def offset_columns(
    tables, df: pd.DataFrame, quiet: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[str, ...], str]:
    """(flags, labels, reference): a 0/1 column per rater other than the reference, then one per mode of
    ``assessor`` other than a clinician's (:data:`alscell.analysis.rater.OTHER_RATERS`), for the rows of ``df``;
    labels ``rater <id>`` and ``mode <mode>``.  The reference is :func:`rater_groups`' first (the most visits),
    unless it rated none of the rows ``quiet`` (the visits before any treatment at which none started): then the
    group that rated most of those, so that the others are not measured against readings a decision selected.
    Fewer than two groups: no rater columns."""
    codes, names = rater_groups(tables, df)
    if names and quiet is not None and not (quiet & (codes == 0)).any():
        ref = int(np.argmax(np.bincount(codes[quiet], minlength=len(names)))) if quiet.any() else 0
        order = [ref, *(j for j in range(len(names)) if j != ref)]
        codes, names = np.argsort(order)[codes], tuple(names[j] for j in order)
    cols, labels = [], []
    for j in range(1, len(names)):
        cols.append(codes == j)
        labels.append(f"rater {names[j]}")
    if cols:  # the modes of assessor, as the rater rule flags them
        modes, present = rater_flags(tables, df)
        cols += list(modes.T > 0)
        labels += [f"mode {m}" for m in present]
    reference = names[0] if names else ""
    if not cols:
        return np.empty((len(df), 0)), (), reference
    return np.column_stack(cols).astype(float), tuple(labels), reference


def held_warning(labels: tuple[str, ...], off: Offsets, reference: str, why: str = "") -> str:
    """The sentence of what was held: each identified rater's (and mode's) offset against the reference at the
    mean level of its visits, and those that share too few patients with the others to be estimated; ``why``
    "slopes" where none was held because the offsets' slopes over the follow-up windows could not be computed, "fit"
    where the models could not be fitted on the history read from the corrected ratings."""
    held = [
        f"{label.removeprefix('rater ')} {off.gamma[2 * j]:+.2f}" for j, label in enumerate(labels) if off.identified[j]
    ]
    lost = [label.removeprefix("rater ") for j, label in enumerate(labels) if not off.identified[j]]
    head = (
        f"each recorded rater's offset from {reference} (alsfrs.rater) and each mode's, estimated within patients "
        "from the visits before any treatment, "
    )
    if not held:
        reason = (
            "their slopes over the follow-up windows could not be computed"
            if why == "slopes"
            else "the decision model or the history regression could not be fitted on the history read from the "
            "corrected ratings"
            if why == "fit"
            else f"no rater or mode shares {MIN_OFFSET_PATIENTS} patients with the others before any treatment "
            "(visits other than the starts)"
        )
        return (
            head + f"could not be held: {reason}, so the estimate is the one as recorded; where a few raters rate "
            "many patients their leniencies make the estimates vary more than the standard error says "
            "(docs/world18_raters.md)."
        )
    said = head + (
        f"was removed from the slopes, with its uncertainty in the interval, and from the history's levels and "
        f"declines ({'; '.join(held)} points)"
    )
    if lost:
        said += (
            f"; too few patients shared with the others ({MIN_OFFSET_PATIENTS} needed) to estimate "
            f"{', '.join(lost)}, whose visits stay as recorded"
        )
    return said + ": an offset that changes with the course in another way is not removed (docs/rater_identity.md)."


__all__ = ["NO_RATERS_NOTE", "UNRECORDED", "held_warning", "offset_columns", "rater_groups", "recorded_raters"]
