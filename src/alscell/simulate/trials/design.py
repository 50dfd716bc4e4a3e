"""What an in-silico trial is: design, eligibility, schedule, endpoint and analysis options.

Times in months.  The trial schedule on the simulator's clock: a screening visit (the simulator's baseline
visit), a run-in of ``run_in_months`` (0 = none), randomisation and first administration at the end of the
run-in (the trial baseline visit), then ``follow_up_months`` of visits every ``visit_interval_months``.
The true effect is the simulator's (``alscell.simulate``): ``effect`` ALSFRS-R points/month of slower
decline after the first active administration, scaled per route by ``route_effect``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

from alscell.domain.vocabulary import ROUTES
from alscell.simulate.trials.boundaries import SPENDING

KINDS = ("parallel", "single_arm", "delayed_start", "route_comparison")
ENDPOINTS = ("slope", "change", "responder", "cafs", "survival", "fvc_slope")
# Endpoints whose estimand has a closed-form truth under a constant effect (for bias and coverage).
RESPONDER_IMPROVEMENT = 1.25  # points/month: NurOwn phase 3 responder (Cudkowicz et al., Muscle Nerve 2022)


@dataclass(frozen=True)
class TrialDesign:
    """One trial design to simulate many times (see the module docstring for the clock)."""

    kind: str = "parallel"
    n: int = 200  # randomised patients (single_arm: treated patients; route_comparison: both routes)
    ratio: float = 1.0  # active : control (route_comparison: first : second route)
    effect: float = 0.0  # true ALSFRS-R slope change, points/month (positive = slower decline)
    endpoint: str = "slope"
    alpha: float = 0.05  # two-sided
    follow_up_months: float = 6.0  # after randomisation
    visit_interval_months: float = 1.0
    run_in_months: float = 0.0
    min_run_in_decline: float | None = None  # points lost over the run-in (e.g. 3: NurOwn phase 3)
    min_alsfrs: float | None = None  # enrichment: ALSFRS-R at screening ≥ this (e.g. 35)
    max_alsfrs: float | None = None
    rate_window: tuple[float, float] | None = None  # enrichment: ΔFRS (48 − ALSFRS-R)/months since onset
    max_months_since_onset: float | None = None
    dropout_per_year: float | None = None  # None: the simulator's default
    route: str = "intrathecal"
    routes: tuple[str, str] = ("intrathecal", "intravenous")  # route_comparison arms
    # effect multiplier per route (a mapping or (route, multiplier) pairs; stored as sorted pairs)
    route_effect: Mapping[str, float] | tuple[tuple[str, float], ...] = ()
    cycles: int = 3
    cycle_interval_months: float = 2.0
    half_life_months: float = math.inf  # waning of the effect after each dose
    redose_boost: float = 0.0
    delay_months: float | None = None  # delayed_start: second group starts this long after the first
    external_rate_factor: float = 1.0  # single_arm: external controls progress this much faster (drift)
    looks: tuple[float, ...] = ()  # interim looks: information fractions before the final (e.g. 0.5,)
    spending: str = "obrien_fleming"
    accrual_months: float = 18.0  # uniform accrual (calendar time of the interim looks)
    procova: bool = False  # change endpoint: adjust also for a prognostic score (Schuler et al. 2022)
    historical_n: int = 2000  # PROCOVA: untreated historical patients to train the prognostic model

    def __post_init__(self):
        pairs = self.route_effect.items() if isinstance(self.route_effect, Mapping) else self.route_effect
        object.__setattr__(self, "route_effect", tuple(sorted((str(k), float(v)) for k, v in pairs)))
        object.__setattr__(self, "looks", tuple(float(x) for x in self.looks))
        object.__setattr__(self, "routes", tuple(self.routes))
        if self.rate_window is not None:
            object.__setattr__(self, "rate_window", tuple(float(x) for x in self.rate_window))

    def replace(self, **changes) -> TrialDesign:
        return replace(self, **changes)

    @property
    def fractions(self) -> tuple[float, ...]:
        """Information fractions of all analyses (interim looks, then 1)."""
        return (*self.looks, 1.0)

    @property
    def n_active(self) -> int:
        """Patients in the first arm (active; route_comparison: the first route)."""
        if self.kind == "single_arm":
            return self.n
        return round(self.n * self.ratio / (1.0 + self.ratio))

    @property
    def truth(self) -> float:
        """True value of the estimand (NaN where none is defined in closed form).

        slope: the slope difference, ``effect · (m_first − m_second)`` (route multipliers; the control arm
        has none); change: the difference in change from baseline at the end, ``effect · months`` (delayed
        start: ``effect · delay``).  Defined only for a constant effect (no waning or re-dosing boost).
        """
        if not (math.isinf(self.half_life_months) and self.redose_boost == 0.0):
            return math.nan if self.effect != 0 else 0.0
        m = self.multipliers
        if self.kind == "route_comparison":
            per = self.effect * (m.get(self.routes[0], 1.0) - m.get(self.routes[1], 1.0))
        else:
            per = self.effect * m.get(self.route, 1.0)
        if self.endpoint == "slope":
            return math.nan if self.kind == "delayed_start" and per != 0 else per
        if self.endpoint == "change":
            span = self.delay if self.kind == "delayed_start" else self.follow_up_months
            return per * span
        return 0.0 if per == 0 else math.nan

    @property
    def multipliers(self) -> dict[str, float]:
        """Effect multiplier per route (1 where not given)."""
        return dict(self.route_effect)

    @property
    def delay(self) -> float:
        return self.delay_months if self.delay_months is not None else self.follow_up_months / 2.0

    def problems(self) -> list[str]:
        """Every reason the design cannot be simulated, one sentence each (empty = fine)."""
        out: list[str] = []
        if self.kind not in KINDS:
            out.append(f"design must be one of {', '.join(KINDS)}, not {self.kind!r}.")
        if self.endpoint not in ENDPOINTS:
            out.append(f"endpoint must be one of {', '.join(ENDPOINTS)}, not {self.endpoint!r}.")
        if not isinstance(self.n, int) or self.n < 4:
            out.append("the sample size must be a whole number of at least 4 patients.")
        if not (math.isfinite(self.ratio) and self.ratio > 0):
            out.append("the allocation ratio must be a positive number (active : control).")
        elif self.kind != "single_arm" and isinstance(self.n, int) and not 2 <= self.n_active <= self.n - 2:
            out.append("each arm needs at least 2 patients: change the sample size or the allocation ratio.")
        if not math.isfinite(self.effect):
            out.append("the effect must be a finite number of ALSFRS-R points/month.")
        if not 0 < self.alpha < 1:
            out.append("alpha must be between 0 and 1.")
        if not 0.25 <= self.visit_interval_months <= self.follow_up_months:
            out.append("the visit interval must be at least 0.25 months and at most the follow-up.")
        if not 0 < self.follow_up_months <= 120:
            out.append("the follow-up must be more than 0 and at most 120 months.")
        if self.run_in_months < 0:
            out.append("the run-in must be 0 months or more.")
        elif self.run_in_months > 0:
            steps = self.run_in_months / self.visit_interval_months
            if abs(steps - round(steps)) > 1e-9:
                out.append("the run-in must be a whole number of visit intervals (the randomisation visit ends it).")
        if self.min_run_in_decline is not None and self.run_in_months <= 0:
            out.append("a minimum run-in decline needs a run-in (--run-in MONTHS).")
        if self.rate_window is not None and not (
            len(self.rate_window) == 2 and self.rate_window[0] < self.rate_window[1]
        ):
            out.append("the progression-rate window must be two numbers, low < high (points/month).")
        if self.dropout_per_year is not None and not 0 <= self.dropout_per_year < 1:
            out.append("the yearly dropout must be between 0 and 1.")
        for r in (self.route, *self.routes, *self.multipliers):
            if r not in ROUTES:
                out.append(f"route must be one of {', '.join(ROUTES)}, not {r!r}.")
        if self.kind == "route_comparison" and len(set(self.routes)) != 2:
            out.append("a route comparison needs two different routes.")
        if not isinstance(self.cycles, int) or not 1 <= self.cycles <= 50:
            out.append("cycles must be a whole number from 1 to 50.")
        if not self.cycle_interval_months > 0:
            out.append("the interval between doses must be more than 0 months.")
        if not self.half_life_months > 0:
            out.append("the effect half-life must be more than 0 months.")
        if self.kind == "delayed_start" and not 0 < self.delay < self.follow_up_months:
            out.append("the delayed start must fall within the follow-up.")
        if not self.external_rate_factor > 0:
            out.append("the external-control progression factor must be more than 0.")
        f = self.fractions
        if any(not 0 < x < 1 for x in self.looks) or any(b <= a for a, b in itertools.pairwise(f)):
            out.append("interim looks must be increasing information fractions between 0 and 1.")
        if self.looks and self.spending not in SPENDING:
            out.append(f"spending must be one of {', '.join(SPENDING)}, not {self.spending!r}.")
        if self.looks and self.endpoint == "responder":
            # the responder definition needs each patient's full post-treatment window (28 weeks in NurOwn)
            out.append("interim looks are supported for every endpoint except responder.")
        if self.procova and self.endpoint != "change":
            out.append("PROCOVA adjusts the change-from-baseline (ANCOVA) endpoint: use --endpoint change.")
        if self.kind == "delayed_start" and self.endpoint in ("slope", "fvc_slope") and self.effect != 0:
            pass  # allowed; the slope difference of a delayed start has no closed-form truth
        if not self.accrual_months >= 0:
            out.append("accrual must be 0 months or more.")
        if self.historical_n < 50:
            out.append("PROCOVA needs at least 50 historical patients.")
        return out

    def to_dict(self) -> dict:
        d = asdict(self)
        d["route_effect"] = self.multipliers
        d["rate_window"] = list(self.rate_window) if self.rate_window is not None else None
        d["looks"], d["routes"] = list(self.looks), list(self.routes)
        d["half_life_months"] = None if math.isinf(self.half_life_months) else self.half_life_months
        return d


def nurown_phase3(effect: float = 0.0) -> TrialDesign:
    """NurOwn phase 3 as published (Cudkowicz et al., Muscle Nerve 2022;65:291; NCT03280056).

    196 planned patients 1:1, three intrathecal doses 8 weeks apart, primary endpoint responders with a
    post- minus pre-treatment slope improvement ≥ 1.25 points/month at 28 weeks after the first dose, a
    run-in before randomisation requiring a decline of ≥ 3 points.  Run-in length here: 16 weeks (the
    trial's pre-treatment period was 18-20 weeks including screening; approximate), visits every 4 weeks.
    """
    return TrialDesign(
        kind="parallel",
        n=196,
        ratio=1.0,
        effect=effect,
        endpoint="responder",
        follow_up_months=28 * 7 / 30.4375,
        visit_interval_months=28 * 7 / 30.4375 / 7,
        run_in_months=4 * 28 * 7 / 30.4375 / 7,
        min_run_in_decline=3.0,
        cycles=3,
        cycle_interval_months=8 * 7 / 30.4375,
        max_months_since_onset=24.0,  # symptoms < 2 years at screening (trial inclusion)
    )


__all__ = ["ENDPOINTS", "KINDS", "RESPONDER_IMPROVEMENT", "TrialDesign", "nurown_phase3"]
