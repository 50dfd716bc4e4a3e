"""Sensitivity analyses of the headline slope change (``alscell effect --sensitivity``; issue 10).

Why: no single estimator of the slope change is consistent on every world we could build
(docs/calibration.md).  Each one rests on a different assumption — the shape of each patient's course
(``lmm_counterfactual``), the same with the floor and ceiling of the scale (``lmm_bounded``), the visits
that prompted treatment being ignorable on the logit scale (the earlier default), a model of the treatment
decision (``g_estimation``) — and where an assumption fails, its estimate leans.  ICH E9(R1) asks for
sensitivity analyses that vary the assumptions behind the primary estimate and for the conclusion to be
judged across them; this module runs the primary and the alternatives on the same data and says whether
the conclusion (benefit / harm / not shown at the stated α) is the same under each, and how far each
estimate is from the primary in units of the primary's standard error.  Beside the family it reports a
falsification check: the placebo (pre-trend) slope change of ``alscell.analysis.pretrend`` with its interval,
because a check that is only a warning when it fires says nothing when it does not; and whether the slope
change lasts (``alscell.analysis.waning``: the primary's estimator with the slope change split 6 months after
treatment), because the headline is one number only if the effect is a constant change of slope.

It decides nothing by itself: agreement does not prove the primary right (the alternatives can share a
failure: on the second simulated world they all lean when treated patients are chosen by their own true
rate of decline), and disagreement says the data cannot separate the assumptions, not which one holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from alscell.analysis.design_matrix import ALSFRS_OUTCOMES
from alscell.analysis.errors import NotApplicable
from alscell.analysis.estimate import Estimate, json_value
from alscell.analysis.pretrend import Placebo
from alscell.analysis.waning import Waning
from alscell.io.tables import as_tables

# The registry (observational) estimators whose assumptions differ; ``naive`` is not evidence and
# ``external_control`` / ``randomized`` answer other designs, so they are not part of this family.
PRIMARY_METHODS = ("lmm_counterfactual", "lmm_bounded", "g_estimation")
# An alternative farther than this many of the primary's standard errors from it is flagged: the 95th
# percentile of the largest distance over 480 alscell.simulate cohorts (sizes 1,000 and 3,000, 5–60% treated,
# effect 0 and 0.5), chosen there and judged on the second world by benchmarks/sensitivity_flag.py
# (docs/sensitivity_flag.md: 2.92 on its run, rounded down), with lmm_counterfactual as the primary.
DISTANCE_FLAG = 2.9
# The same, chosen the same way for each primary (its own SEs are the unit, so each needs its own):
# g_estimation's from ``benchmarks/sensitivity_flag.py --primary g_estimation`` (docs/sensitivity_flag_g.md:
# 1.95 on its run over 360 simulate cohorts, rounded down).  lmm_bounded has none of its own; it shares
# lmm_counterfactual's model and SE, so it uses DISTANCE_FLAG.
DISTANCE_FLAGS = {"lmm_counterfactual": DISTANCE_FLAG, "lmm_bounded": DISTANCE_FLAG, "g_estimation": 1.9}
# The family's mixed models, which can hold a level per rating mode (``adjust_raters``).
MIXED_METHODS = ("lmm_counterfactual", "lmm_bounded")


def primary_raters(details: dict) -> tuple[list[str], list[str]]:
    """(modes the primary's decision model held, modes whose share it found changing at the start): where
    g-estimation took who rated the visits into account (alscell.analysis.rater, alscell.analysis.rater_drift)."""
    held = list(details.get("raters_in_history") or [])
    after = [m for m, v in (details.get("raters_after_start") or {}).items() if v.get("fired")]
    # each recorded rater's offset held (alscell.analysis.rater_identity): the modes it held count as held
    columns = (details.get("rater_offsets_held") or {}).get("columns", {})
    held += [k.removeprefix("mode ") for k, v in columns.items() if k.startswith("mode ") and v.get("identified")]
    return held, after


@dataclass(frozen=True)
class Analysis:
    """One analysis of the family: its key, what it changes against the default, and the method of
    ``alscell.analysis.effects.METHODS`` with the options that make it."""

    key: str
    changes: str
    method: str
    options: tuple[tuple[str, Any], ...] = ()
    bounded_only: bool = False  # applies to ALSFRS-R outcomes only (the scale's floor and ceiling, the logit)

    def run(self, tables, outcome: str, adjust_raters: bool = False) -> Estimate:
        """This analysis on ``tables``; ``adjust_raters``: the mixed models hold a level per rating mode
        (``lmm_counterfactual(adjust_raters=True)``; g-estimation has its own rules)."""
        from alscell.analysis.effects import METHODS

        extra = {"adjust_raters": True} if adjust_raters and self.method in MIXED_METHODS else {}
        return METHODS[self.method](tables, outcome, **dict(self.options), **extra)


ANALYSES: tuple[Analysis, ...] = (
    Analysis(
        "lmm_counterfactual",
        "a model of each patient's course (straight random line around a shared curve), every visit kept",
        "lmm_counterfactual",
    ),
    Analysis(
        "lmm_bounded", "that course model with the floor and ceiling of the scale", "lmm_bounded", bounded_only=True
    ),
    Analysis(
        "trigger_visits_out",
        "that course model with the two visits before treatment left out, logit scale (the first default)",
        "lmm_counterfactual",
        (("exclude_pre_visits", 2), ("scale", "logit")),
        bounded_only=True,
    ),
    Analysis(
        "g_estimation",
        "a model of the treatment decision instead of the shape of each course (the default)",
        "g_estimation",
    ),
)
# the page on which each primary's flag threshold was chosen
FLAG_PAGES = {"g_estimation": "docs/sensitivity_flag_g.md"}


def verdict(est: Estimate) -> str | None:
    """ "benefit" / "harm" when the interval excludes 0 on that side, "not shown" when it spans 0; None
    without an interval."""
    lo, hi = est.ci_low, est.ci_high
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return "benefit" if lo > 0 else "harm" if hi < 0 else "not shown"


@dataclass
class SensitivityRow:
    """One alternative analysis: its result (None when it could not be run, with the reason) and how it
    compares with the primary."""

    analysis: str
    changes: str
    result: Estimate | None
    reason: str | None
    difference: float | None  # alternative − primary, in the outcome's unit
    difference_in_se: float | None  # the same in units of the primary's standard error
    verdict: str | None
    agrees: bool | None  # same verdict as the primary
    # whether it counts toward the distance flag, whose threshold was chosen on :data:`ANALYSES` alone (the
    # raters' row, :func:`_raters_row`, does not)
    flagged: bool = True

    @classmethod
    def not_run(cls, a: Analysis, reason: str, result: Estimate | None = None) -> SensitivityRow:
        """An analysis that does not apply, could not be fitted, or gave no number: the reason, no comparison."""
        return cls(a.key, a.changes, result, reason, None, None, None, None)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "analysis": self.analysis,
            "changes": self.changes,
            "result": None if self.result is None else self.result.to_json_dict(),
            "reason": self.reason,
            "difference": json_value(self.difference),
            "difference_in_se": json_value(self.difference_in_se),
            "verdict": self.verdict,
            "agrees": self.agrees,
            "raters_held": [] if self.result is None else list(self.result.details.get("raters_held") or []),
        }


@dataclass
class Sensitivity:
    """The primary estimate and the alternatives run on the same data (module docstring)."""

    primary: Estimate
    primary_analysis: str
    rows: list[SensitivityRow]
    # the falsification check beside the family (alscell.analysis.pretrend); None: not asked for
    placebo: Placebo | None = None
    # does the slope change last? the primary's estimator with it split 6 months after treatment
    # (alscell.analysis.waning: g-estimation under the default, else the mixed model)
    waning: Waning | None = None

    @property
    def primary_verdict(self) -> str | None:
        return verdict(self.primary)

    @property
    def conclusion_agrees(self) -> bool | None:
        """True when every alternative that ran reaches the primary's verdict; None when none ran."""
        ran = [r.agrees for r in self.rows if r.agrees is not None]
        return None if not ran or self.primary_verdict is None else all(ran)

    @property
    def largest_difference_in_se(self) -> float | None:
        """Over the rows that count toward the distance flag (:data:`ANALYSES`')."""
        d = [abs(r.difference_in_se) for r in self.rows if r.difference_in_se is not None and r.flagged]
        return max(d) if d else None

    @property
    def distance_threshold(self) -> float:
        """The primary's flag threshold (:data:`DISTANCE_FLAGS`), in its standard errors."""
        return DISTANCE_FLAGS.get(self.primary_analysis, DISTANCE_FLAG)

    @property
    def flag_page(self) -> str:
        """The page on which the primary's flag threshold was chosen and judged."""
        return FLAG_PAGES.get(self.primary_analysis, "docs/sensitivity_flag.md")

    @property
    def raters_note(self) -> str | None:
        """Where the primary (g-estimation) took who rated the visits into account — the modes its decision model
        holds (alscell.analysis.rater) and those whose share changed at the start (alscell.analysis.rater_drift) —
        a sentence saying how the alternatives did: the mixed models with a level of their own per rating mode
        (their ``details["raters_held"]``); None otherwise."""
        held, after = primary_raters(self.primary.details)
        if not held and not after:
            return None
        parts = [f"held who rated each visit ({', '.join(held)}) in its model of who is treated"] if held else []
        parts += [f"found the share of visits rated by {', '.join(after)} changing at the start"] if after else []
        levels = sorted(
            {m for r in self.rows if r.result is not None for m in r.result.details.get("raters_held") or []}
        )
        if not levels:
            return (
                f"The primary {' and '.join(parts)}; the alternative analyses do not account for who rated the "
                "visits, so part of their distance from it may be the raters' offsets (docs/rater_drift.md)."
            )
        return (
            f"The primary {' and '.join(parts)}; the mixed-model alternatives held a level of their own for each "
            f"rating mode ({', '.join(levels)}), learned against each patient's own course: a constant offset on "
            "their scale, where the primary's may change with the level (docs/rater_drift.md)."
        )

    @property
    def distance_flag(self) -> bool | None:
        """True when some alternative lies farther from the primary than :attr:`distance_threshold` of its SEs."""
        big = self.largest_difference_in_se
        return None if big is None else big > self.distance_threshold

    def summary(self) -> str:
        """For people: whether the conclusion holds across the analyses, the spread, and the distance flag."""
        pv = self.primary_verdict
        ran = [r for r in self.rows if r.result is not None and r.verdict is not None]
        if pv is None:
            return "the primary analysis gave no interval, so there is no conclusion to test."
        if not ran:
            return "no alternative analysis could be run on these data."
        unit = self.primary.unit
        values = [self.primary.estimate] + [r.result.estimate for r in ran if r.result is not None]
        spread = f"estimates from {min(values):+.3f} to {max(values):+.3f} {unit}"
        big = self.largest_difference_in_se
        far = "" if big is None else f", at most {big:.1f} primary standard errors from the primary"
        if self.conclusion_agrees:
            text = f"the conclusion ({pv}) is the same under all {len(ran)} alternative analyses; {spread}{far}."
        else:
            others = [r for r in ran if not r.agrees]
            differ = ", ".join(f"{r.analysis}: {r.verdict}" for r in others)
            text = (
                f"the verdict differs between analyses: the primary says {pv}, {differ}; {spread}{far}.  With "
                f"several analyses one verdict can differ by chance when an interval lies near 0 ({self.flag_page})."
            )
            if pv == "not shown" and all(r.result is not None and r.result.se < self.primary.se for r in others):
                text += (
                    "  Those analyses are more precise than the primary (narrower intervals): where their estimates "
                    "lie close to it, the difference is one of precision, not of direction."
                )
        if self.distance_flag:
            worst = max(
                (r for r in ran if r.difference_in_se is not None and r.flagged),
                key=lambda r: abs(r.difference_in_se or 0.0),
            )
            text += (
                f"  {worst.analysis} lies farther from the primary than on 19 of 20 registries simulated where the "
                f"estimators' assumptions differ little ({self.flag_page}): an assumption of one of them "
                "probably fails on these data, and they cannot tell which."
            )
        if self.raters_note:
            text += "  " + self.raters_note
        for r in ran:  # the raters' row (_raters_row)
            if r.flagged or r.result is None:
                continue
            how = (
                "the ratings as recorded" if r.analysis.endswith("as_recorded") else "each recorded rater's offset held"
            )
            text += (
                f"  With {how}, g-estimation gives {r.result.estimate:+.3f} {unit} ({r.difference_in_se or 0.0:+.1f} "
                "primary standard errors from the primary): where the two differ by more than their intervals, who "
                "rated the visits matters on these data (docs/rater_identity.md)."
            )
        named = self.primary.details.get("adjusted_for")
        if named:
            text += (
                f"  The primary's model of who is treated holds the decision inputs named ({', '.join(named)}); the "
                "mixed-model alternatives model each patient's course, not the decision, so they do not use them."
            )
        return text

    def to_json_dict(self) -> dict[str, Any]:
        """The primary's ``alscell effect --json`` object (spec/cli.md, keys unchanged and first) extended
        with the sensitivity block."""
        out = self.primary.to_json_dict()
        out.update(
            sensitivity=[r.to_json_dict() for r in self.rows],
            sensitivity_summary={
                "primary_analysis": self.primary_analysis,
                "primary_verdict": self.primary_verdict,
                "conclusion_agrees": self.conclusion_agrees,
                "largest_difference_in_se": json_value(self.largest_difference_in_se),
                "distance_flag": self.distance_flag,
                "raters_note": self.raters_note,
                "text": self.summary(),
            },
        )
        if self.placebo is not None:
            out["placebo"] = {**self.placebo.to_json_dict(), "text": self.placebo.sentence(self.primary.unit)}
        if self.waning is not None:
            out["waning"] = {**self.waning.to_json_dict(), "text": self.waning.sentence(self.primary.unit)}
        return out


def _row(a: Analysis, tables, outcome: str, primary: Estimate, bounded: bool) -> SensitivityRow:
    if a.bounded_only and not bounded:
        return SensitivityRow.not_run(a, f"does not apply to {outcome} (no floor or ceiling of a scale).")
    try:
        est = a.run(tables, outcome, adjust_raters=any(primary_raters(primary.details)))
    except NotApplicable as exc:
        return SensitivityRow.not_run(a, str(exc))
    if not math.isfinite(est.estimate):
        return SensitivityRow.not_run(a, est.warnings[-1] if est.warnings else "no estimate on these data.", est)
    diff = est.estimate - primary.estimate if math.isfinite(primary.estimate) else None
    se = primary.se
    in_se = diff / se if diff is not None and se is not None and math.isfinite(se) and se > 0 else None
    v, pv = verdict(est), verdict(primary)
    return SensitivityRow(a.key, a.changes, est, None, diff, in_se, v, None if v is None or pv is None else v == pv)


def sensitivity_analyses(
    tables, outcome: str = "alsfrs_r_total", primary: str | None = None, options: dict | None = None
) -> Sensitivity:
    """Run the ``primary`` method (default: ``effects.DEFAULT_METHOD``) and every other analysis of
    :data:`ANALYSES` on ``tables``; ``options``: the primary's named decision inputs
    (alscell.analysis.decision_inputs.named_options; g-estimation only).

    Raises :class:`NotApplicable` when the primary cannot be run (as ``estimate_effect`` does) or is not
    one of :data:`PRIMARY_METHODS`; an alternative that cannot be run becomes a row with its reason."""
    from alscell.analysis.effects import DEFAULT_METHOD, METHODS, MethodError, estimate_effect

    primary = primary or DEFAULT_METHOD
    if primary not in METHODS:
        raise MethodError(f"unknown method {primary!r}: use one of {', '.join(METHODS)}.")
    if primary not in PRIMARY_METHODS:
        raise MethodError(
            f"sensitivity analyses vary the registry estimators ({', '.join(PRIMARY_METHODS)}); "
            f"{primary} answers another design or is not evidence."
        )
    if options and primary != "g_estimation":
        raise MethodError(f"named decision inputs need the primary g_estimation (the primary asked for is {primary}).")
    tables = as_tables(tables)
    est = estimate_effect(tables, outcome, primary, **(options or {}))
    bounded = outcome in ALSFRS_OUTCOMES  # the ALSFRS-R total and subscores: a floor and a ceiling
    rows = [_row(a, tables, outcome, est, bounded) for a in ANALYSES if a.key != primary]
    rows += _raters_row(tables, outcome, est, options or {})
    return Sensitivity(est, primary, rows, *_checks(tables, outcome, primary, options or {}))


def _raters_row(tables, outcome: str, primary: Estimate, options: dict) -> list[SensitivityRow]:
    """Where the registry records two raters or more (``alsfrs.rater``) and the primary is g-estimation: it again, with its named inputs
    the other way round — each rater's offset held where the primary did not hold them, as recorded where it did
    (alscell.analysis.rater_identity; docs/rater_identity.md: a few raters who rate many patients can lean the
    estimate and narrow its interval).  Not counted toward the distance flag (its threshold was chosen without
    it); none where no two raters are recorded, so such registries' family is as it was."""
    from alscell.analysis.decision_inputs import any_rater_held
    from alscell.analysis.rater_identity import recorded_raters

    if primary.method != "g_estimation" or outcome not in ALSFRS_OUTCOMES or recorded_raters(tables) < 2:
        return []  # (under a mixed-model primary the row would mix the method's difference with the raters')
    held = any_rater_held(primary.details)  # asked, or by default (g_estimation's hold_raters=None)
    a = Analysis(
        "g_estimation_raters_as_recorded" if held else "g_estimation_raters_held",
        "g-estimation with the ratings as recorded (the primary held each rater's offset)"
        if held
        else "g-estimation with each recorded rater's offset held (alsfrs.rater; docs/rater_identity.md)",
        "g_estimation",
        tuple(sorted((options | {"hold_raters": not held}).items())),
    )
    row = _row(a, tables, outcome, primary, True)
    row.flagged = False
    return [row]


def _checks(tables, outcome: str, primary: str, options: dict) -> tuple[Placebo, Waning]:
    """The pre-trend check on the mixed model's frame (``lmm_counterfactual``'s) and the does-it-last check by
    the primary's own estimator (g-estimation for ``g_estimation``, with the primary's named decision inputs
    ``options``, else the mixed model), oriented like the headline (positive = benefit)."""
    from alscell.analysis.design_matrix import outcome_info
    from alscell.analysis.effects import prepare
    from alscell.analysis.pretrend import placebo_check
    from alscell.analysis.waning import g_waning_check, waning_check

    df, direction = prepare(tables, outcome), int(outcome_info(outcome)["direction"])
    if primary == "g_estimation":  # the raters' offsets are the headline's only: the check reads the ratings as made
        named = {k: v for k, v in options.items() if k != "hold_raters"}
        return placebo_check(df, direction), g_waning_check(tables, outcome, direction, data=df, **named)
    return placebo_check(df, direction), waning_check(df, direction)


__all__ = [
    "ANALYSES",
    "DISTANCE_FLAG",
    "DISTANCE_FLAGS",
    "MIXED_METHODS",
    "PRIMARY_METHODS",
    "Analysis",
    "Sensitivity",
    "SensitivityRow",
    "primary_raters",
    "sensitivity_analyses",
    "verdict",
]
