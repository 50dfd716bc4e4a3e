"""One simulated trial's patients: screening, run-in, eligibility, exact allocation, observed data.

Patients come from the simulator's vectorised engine (``alscell.simulate.engine.simulate_block``), so the
natural history, noise, missed visits, informative dropout and deaths are the simulator's.  Screening
simulates blocks of candidates until enough are eligible; every random number comes from the trial's own
``SeedSequence``, so a trial is the same whichever process runs it.

Allocation is exact: the simulator assigns arms independently of everything before the first
administration, and the first ``n_active`` eligible candidates assigned to the active arm and the first
``n_control`` assigned to control are randomised (equivalent to allocating exactly ``n_active`` of ``n``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.simulate import engine
from alscell.simulate.config import CohortConfig, EffectModel, NaturalHistory
from alscell.simulate.trials.design import TrialDesign

_NEVER = np.iinfo(np.int64).max // 4
MAX_SCREENED_PER_RANDOMISED = 200  # give up (bad input) when eligibility is this rare


class EligibilityError(ValueError):
    """Too few simulated candidates meet the eligibility criteria."""


@dataclass
class TrialData:
    """Observed data of one trial, visits from the randomisation (baseline) visit on.

    y, fvc, months: (n, V) — ALSFRS-R total, FVC % predicted (NaN when not measured), months since the
    baseline visit; arm (n,) 1 = active (route_comparison: first route; single_arm: treated), 0 = control;
    screen_y, pre_slope: screening ALSFRS-R and run-in slope (points/month, NaN without run-in);
    event_months, event (n,): death or tracheostomy, or censoring (end of follow-up, dropout);
    covariates (n, k): prognostic baseline covariates (PROCOVA); enrol (n,): screening, calendar months.
    """

    y: np.ndarray
    fvc: np.ndarray
    months: np.ndarray
    arm: np.ndarray
    screen_y: np.ndarray
    pre_slope: np.ndarray
    event_months: np.ndarray
    event: np.ndarray
    covariates: np.ndarray
    enrol: np.ndarray
    run_in_months: float
    n_screened: int

    @property
    def n(self) -> int:
        return len(self.arm)

    def at_calendar(self, when: float) -> TrialData:
        """The data available at calendar month ``when`` (patients screened by then; visits up to then)."""
        keep = self.enrol + self.run_in_months <= when
        avail = self.enrol[keep, None] + self.run_in_months + self.months[keep] <= when + 1e-9
        y = np.where(avail, self.y[keep], np.nan)
        fvc = np.where(avail, self.fvc[keep], np.nan)
        horizon = when - self.enrol[keep] - self.run_in_months
        ev = self.event[keep] & (self.event_months[keep] <= horizon)
        return TrialData(
            y,
            fvc,
            self.months[keep],
            self.arm[keep],
            self.screen_y[keep],
            self.pre_slope[keep],
            np.minimum(self.event_months[keep], horizon),
            ev,
            self.covariates[keep],
            self.enrol[keep],
            self.run_in_months,
            self.n_screened,
        )

    def completion(self) -> np.ndarray:
        """Calendar month at which each patient's follow-up ends (planned)."""
        last = np.nanmax(np.where(np.isfinite(self.months), self.months, 0.0), axis=1)
        return self.enrol + self.run_in_months + last


COVARIATES = ("baseline", "baseline_sq", "pre_slope", "dfrs", "log_months_since_onset", "age", "bulbar")


def cohort_config(design: TrialDesign, *, n: int, effect: float, share: float, external: bool = False) -> CohortConfig:
    """The simulator configuration behind ``design`` (``external``: untreated external controls)."""
    nh = NaturalHistory()
    if design.dropout_per_year is not None:
        nh = nh.with_(dropout_per_year=design.dropout_per_year)
    if external:
        nh = nh.with_(rate_median=nh.rate_median * design.external_rate_factor)
    em = EffectModel(
        by_route=design.multipliers,
        half_life_months=design.half_life_months,
        redose_boost=design.redose_boost,
    )
    route_kw: dict = {"route": design.route}
    if design.kind == "route_comparison":
        first = design.ratio / (1.0 + design.ratio)
        route_kw = {"route": None, "route_mix": {design.routes[0]: first, design.routes[1]: 1.0 - first}}
    measures = ("fvc_pct_pred",) if design.endpoint == "fvc_slope" else ()
    return CohortConfig(
        n_patients=n,
        design="delayed_start" if design.kind == "delayed_start" and not external else "rct",
        effect=0.0 if external else effect,
        treated_fraction=0.0 if external else share,
        cell_source="bone_marrow",
        donor="autologous",
        cycles=design.cycles,
        cycle_interval_months=design.cycle_interval_months,
        follow_up_months=design.run_in_months + design.follow_up_months,
        visit_interval_months=design.visit_interval_months,
        run_in_months=design.run_in_months,
        delay_months=design.delay if design.kind == "delayed_start" else None,
        effect_model=em,
        natural=nh,
        measures=measures,
        **route_kw,
    )


def _block_arrays(design: TrialDesign, cfg: CohortConfig, seed: int, block: int, m: int) -> dict:
    b = engine.simulate_block(cfg, seed, block, m)
    j0 = round(design.run_in_months / design.visit_interval_months)
    att = b["attended"]
    tot = engine.item_matrix(b["raw"], b["vday"], b["niv_day"], b["trach_day"]).sum(-1, dtype=np.int64)
    y = np.where(att, tot.astype(float), np.nan)
    vday = b["vday"]
    onset_months = b["base_day"] / DPM  # months from onset to screening
    screen = y[:, 0]
    base = y[:, j0]
    run_in_span = (vday[:, j0] - vday[:, 0]) / DPM
    with np.errstate(invalid="ignore", divide="ignore"):
        pre_slope = np.where(j0 > 0, (base - screen) / np.where(run_in_span > 0, run_in_span, np.nan), np.nan)
    dfrs = (48.0 - screen) / np.maximum(onset_months, 0.25)
    ok = np.isfinite(base)
    if design.min_run_in_decline is not None:
        ok &= screen - base >= design.min_run_in_decline
    if design.min_alsfrs is not None:
        ok &= screen >= design.min_alsfrs
    if design.max_alsfrs is not None:
        ok &= screen <= design.max_alsfrs
    if design.rate_window is not None:
        ok &= (dfrs >= design.rate_window[0]) & (dfrs <= design.rate_window[1])
    if design.max_months_since_onset is not None:
        ok &= onset_months <= design.max_months_since_onset
    if design.kind == "route_comparison":
        arm = (b["route"] == engine.ROUTES.index(design.routes[0])).astype(np.int8)
    else:
        arm = b["assigned"].astype(np.int8)
    base_day = vday[:, j0]
    ev_day = np.minimum(b["death_day"], b["trach_day"])
    stop_day = np.minimum(b["dropout_day"], b["fu_end_day"])
    event = ev_day <= stop_day
    event_months = (np.where(event, ev_day, stop_day) - base_day) / DPM
    if "fvc_pct_pred" in cfg.measures:
        fvc = np.where(att, b["values"][..., [s.measure for s in b["slots"]].index("fvc_pct_pred")], np.nan)
    else:
        fvc = np.full(y.shape, np.nan)
    cov = np.column_stack(
        [
            base,
            base**2 / 48.0,
            np.nan_to_num(pre_slope) if j0 > 0 else np.zeros(m),
            dfrs,
            np.log(np.maximum(onset_months + design.run_in_months, 0.25)),
            (b["age"] - 60.0) / 10.0,
            (b["site"] == 1).astype(float),
        ]
    )
    return {
        "ok": ok,
        "arm": arm,
        "y": y[:, j0:],
        "fvc": fvc[:, j0:],
        "months": np.where(att[:, j0:], (vday[:, j0:] - base_day[:, None]) / DPM, np.nan),
        "screen_y": screen,
        "pre_slope": pre_slope,
        "event": event,
        "event_months": event_months,
        "covariates": cov,
    }


def _take(parts: list[dict], want: dict[int, int], design: TrialDesign) -> dict:
    """The first ``want[a]`` eligible candidates of each arm a, in simulated order."""
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    idx = []
    for a, k in want.items():
        rows = np.flatnonzero(cat["ok"] & (cat["arm"] == a))[:k]
        idx.append(rows)
    sel = np.sort(np.concatenate(idx))
    out: dict = {k: v[sel] for k, v in cat.items()}
    out["screened"] = int(sel.max()) + 1 if sel.size else 0  # candidates screened to fill every arm
    return out


def screen(design: TrialDesign, cfg: CohortConfig, seed: int, want: dict[int, int]) -> tuple[dict, int]:
    """Simulate candidate blocks until each arm has ``want[arm]`` eligible patients."""
    share = cfg.treated_share if design.kind != "route_comparison" else design.ratio / (1.0 + design.ratio)
    p_arm = {1: share, 0: 1.0 - share}
    parts: list[dict] = []
    have = dict.fromkeys(want, 0)
    screened = 0
    total = sum(want.values())
    selective = any(
        v is not None
        for v in (
            design.min_run_in_decline,
            design.min_alsfrs,
            design.max_alsfrs,
            design.rate_window,
            design.max_months_since_onset,
        )
    )
    # first guess of the eligible share (then the observed share): without a run-in every candidate is
    # seen at baseline, so all are eligible
    rate = 0.5 if selective else (1.0 if design.run_in_months == 0 else 0.9)
    block = 0
    while any(have[a] < want[a] for a in want):
        need = max((want[a] - have[a]) / max(p_arm[a] * rate, 1e-6) for a in want if have[a] < want[a])
        m = int(min(max(math.ceil(1.06 * need + 2.5 * math.sqrt(need)), 16), 50_000))
        part = _block_arrays(design, cfg, seed, block, m)
        parts.append(part)
        screened += m
        block += 1
        for a in want:
            have[a] += int((part["ok"] & (part["arm"] == a)).sum())
        elig = sum(int(p["ok"].sum()) for p in parts)
        rate = max(elig / screened, 1.0 / MAX_SCREENED_PER_RANDOMISED)
        if screened > MAX_SCREENED_PER_RANDOMISED * total:
            raise EligibilityError(
                f"fewer than 1 in {MAX_SCREENED_PER_RANDOMISED} simulated candidates meet the eligibility "
                "criteria: relax them."
            )
    got = _take(parts, want, design)
    return got, got.pop("screened")


def simulate_trial(design: TrialDesign, seed: np.random.SeedSequence, effect: float | None = None) -> TrialData:
    """One simulated trial of ``design`` (``effect`` overrides ``design.effect``)."""
    effect = design.effect if effect is None else effect
    s_pop, s_ext, s_enrol = (int(s.generate_state(1)[0]) for s in seed.spawn(3))
    n_act = design.n_active
    if design.kind == "single_arm":
        cfg = cohort_config(design, n=design.n, effect=effect, share=1.0)
        got, screened = screen(design, cfg, s_pop, {1: n_act})
        n_ext = max(2, round(design.n / design.ratio))
        cfg_ext = cohort_config(design, n=n_ext, effect=0.0, share=0.0, external=True)
        ext, screened_ext = screen(design, cfg_ext, s_ext, {0: n_ext})
        got = {k: np.concatenate([got[k], ext[k]]) for k in got}
        screened += screened_ext
    else:
        share = design.ratio / (1.0 + design.ratio)
        cfg = cohort_config(design, n=design.n, effect=effect, share=share)
        got, screened = screen(design, cfg, s_pop, {1: n_act, 0: design.n - n_act})
    n = len(got["arm"])
    enrol = np.sort(np.random.default_rng(s_enrol).uniform(0.0, design.accrual_months, n))
    return TrialData(
        y=got["y"],
        fvc=got["fvc"],
        months=got["months"],
        arm=got["arm"].astype(float),
        screen_y=got["screen_y"],
        pre_slope=got["pre_slope"],
        event_months=got["event_months"],
        event=got["event"],
        covariates=got["covariates"],
        enrol=enrol,
        run_in_months=design.run_in_months,
        n_screened=screened,
    )


__all__ = ["COVARIATES", "EligibilityError", "TrialData", "cohort_config", "simulate_trial"]
