"""Who rated each ALSFRS-R visit, and whether the visits at which treatment started were rated differently.

The canonical ``assessor`` column (spec/data-format.md: ``clinician`` when empty, ``self``, ``caregiver`` or
``phone``) records who rated a visit.  Telephone and self-administered ALSFRS-R agree well with a clinician's
rating on average (Kaufmann et al., Amyotroph Lateral Scler 2007;8:42–46; Montes et al., Neurology
2006;67:1294–1296), but a registry where patients *ask* for cells by phone, or rate themselves in the web
app before a clinic visit, records the visit at which treatment starts in another mode than the others.  A
small difference in level at that one visit then enters every post-treatment slope measured from it: on the
held-out eighth world (phone ratings 0.2 higher per item, every call for cells a phone visit) g-estimation
leaned against treatment by about 0.2 points/month at every cohort size (docs/calibration_world8.md,
docs/world8_effect_ablation.md).  :func:`rater_flags` gives a flag per mode other than a clinician's;
:func:`rater_rule` puts them into g-estimation's history, and says so, when the starts were rated differently
from the other decision visits (always with ``history="rater"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alscell.io.tables import as_tables

# The modes other than a clinician's, in spec/data-format.md's order.
OTHER_RATERS = ("self", "caregiver", "phone")
# The rule fires when, for some mode, the share of starts so rated differs from that of the
# other decision visits by at least RATER_GAP (absolute) and by at least RATER_Z standard errors of a
# two-proportion test.  Where the modes are random it should almost never fire: at z ≥ 3 it fired in 5 of
# 1,080 fifth-world cohorts (phone and self visits at random; two seeds: 6 of 10 starts against 16% of the
# other visits, z 3.8, and 17 of 49 against 15%, z 3.9 — first visits, never starts there, are always a
# clinician's, which widens the gap a little), so the cut-off is 4 (8 of 10 starts by phone against 20%).
# Where the starts are phone calls it fires at any size (the eighth world: z about 9 with ten starters).
# docs/g_rater_calibration.md.  Those counts were taken with the modes pooled; each mode is now judged alone
# (:func:`rater_rule`), which changes nothing where one mode is recorded (the seventh to ninth worlds); on the
# fifth world (phone and self) it fires in 3 of its 1,080 stored cohorts — one seed of 200 patients with 5%
# treated, at each of its three effects, moving the estimate by about a third of its SE (benchmarks/
# warning_census.py --worlds world5, all 40 cohorts per cell; docs/warning_census.md stores the first 20 per
# cell, which hold that seed: 3 of 540).
RATER_GAP = 0.20
RATER_Z = 4.0


def rater_flags(tables, df: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]]:
    """(flags, modes): for each row of the analysis frame ``df`` (``patient_id``, ``date``) a 0/1 column per
    mode of :data:`OTHER_RATERS` present in the ALSFRS-R table, 1 where that visit was so rated (a visit with
    no ``assessor`` is a clinician's).  No dates or no such mode: no columns."""
    t = as_tables(tables)
    a = t["alsfrs"]
    if "date" not in df or "assessor" not in a or a.empty:
        return np.empty((len(df), 0)), ()
    rated = a[["patient_id", "date", "assessor"]].assign(date=pd.to_datetime(a["date"]))
    rated = rated[rated["assessor"].isin(OTHER_RATERS)]
    modes = tuple(m for m in OTHER_RATERS if (rated["assessor"] == m).any())
    if not modes:
        return np.empty((len(df), 0)), ()
    keys = pd.MultiIndex.from_arrays([df["patient_id"].to_numpy(), pd.to_datetime(df["date"]).to_numpy()])
    cols = []
    for m in modes:
        r = rated[rated["assessor"] == m]
        cols.append(keys.isin(pd.MultiIndex.from_arrays([r["patient_id"].to_numpy(), r["date"].to_numpy()])))
    return np.column_stack(cols).astype(float), modes


def rater_rule(
    flags: np.ndarray, modes: tuple[str, ...], starts: np.ndarray, always: bool, allowed: bool = True
) -> tuple[list[int], list[str]]:
    """(the columns of ``flags`` the history takes, the warnings).  Each mode is judged alone over the decision
    rows (``starts`` marks the visits at which treatment started): it is *imbalanced* when the share of starts
    so rated differs from that of the other decision visits by at least :data:`RATER_GAP` and
    :data:`RATER_Z` standard errors (two-proportion), and *usable* only when both starts and other decision
    visits were so rated — a mode seen only at starts predicts them perfectly, and the decision model then
    gives those starts no weight.  The history takes every usable mode when one is imbalanced, or always
    (``history="rater"``); ``allowed=False``: only ``always``.  The rule looks at who started and how each
    visit was rated, never at the outcome, so choosing the history by it leaves the outcome analysis as it
    was (covariates chosen by their balance at the design stage: Rubin, Stat Med 2007;26:20–36) — and where
    no mode is imbalanced the estimate is the standard history's to the last digit.  A mode that differs only
    *after* the start (treated patients followed up by phone) is :mod:`alscell.analysis.rater_drift`'s."""
    if not modes or starts.sum() == 0 or (~starts).sum() == 0:
        return [], []
    n1, n0 = int(starts.sum()), int((~starts).sum())
    usable, imbalanced, lines = [], [], []
    for j, mode in enumerate(modes):
        rated = flags[:, j] > 0
        s1, s0 = float(rated[starts].mean()), float(rated[~starts].mean())
        if rated[starts].any() and rated[~starts].any():
            usable.append(j)
        pooled = (s1 * n1 + s0 * n0) / (n1 + n0)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        if abs(s1 - s0) >= RATER_GAP and se > 0 and abs(s1 - s0) / se >= RATER_Z:
            imbalanced.append(j)
            lines.append(f"{mode}: {s1:.0%} of the starts against {s0:.0%} of the other visits")
    if not imbalanced:
        return (usable if always else []), []
    head = "the visits at which treatment started were rated differently from the others (" + "; ".join(lines) + ")"
    lean = (
        "if such ratings differ in level from a clinician's, every slope measured from the start leans and more "
        "data do not remove it (on a simulated registry where patients asked for cells by phone and phone ratings "
        "read 0.2 per item higher it leaned against treatment by about 0.2 points/month; "
        "docs/calibration_world8.md)"
    )
    lost = [modes[j] for j in imbalanced if j not in usable]
    if not (allowed or always):
        return [], [f"{head}: {lean}; not adjusted, because adjust_raters=False (the default adjusts)."]
    warn = []
    if usable:
        warn.append(
            f"{head}, so the decision model and the outcome regression were adjusted for who rated each visit "
            f"({', '.join(modes[j] for j in usable)}): this removes a constant difference in level between the "
            'modes, not one that changes with the course (docs/evidence.md, "Who rated the visit").'
        )
    if lost:
        warn.append(
            f"{head}: {lean}; no other visit was rated by {', '.join(lost)}, so the history cannot adjust for it."
        )
    return usable, warn


__all__ = ["OTHER_RATERS", "RATER_GAP", "RATER_Z", "rater_flags", "rater_rule"]
