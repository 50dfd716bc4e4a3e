"""Configuration of the virtual-patient simulator: cohort, natural history, true effect and adverse events.

Every default number carries its source (spec/domain-rules.md lists the verified ones).  Numbers marked
*approximate* are simulator defaults chosen to give realistic cohorts, not published truths: change them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from alscell.domain.adverse_events import AE_TERMS
from alscell.domain.measures import MEASURES
from alscell.domain.vocabulary import CELL_SOURCES, DONORS, MUSCLES, ROUTES

DESIGNS = ("registry", "single_arm", "rct", "delayed_start")

# Default treated share per design when ``treated_fraction`` is None.
DEFAULT_TREATED_FRACTION = {"registry": 0.6, "single_arm": 0.6, "rct": 0.5, "delayed_start": 0.5}


def _frozen(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class NaturalHistory:
    """Parameters of the untreated disease course (the latent ALSFRS-R sigmoid and everything tied to it).

    Latent course (D50 model, Jena group: Stubendorff et al., ENCALS 2017; Steinbach, Poesen et al.),
    normalised to 48 at onset: ``F(t) = 48 · expit((c − t)/dx) / expit(c/dx)``, t months from onset.
    Per patient ``c = 24 / rate`` and ``dx = c / shape``; ``rate`` and ``shape`` are log-normal.
    """

    # Rate parameter (points/month): its log-normal spread gives the ΔFRS spread of Labra et al., JNNP
    # 2016;87:628-32 (groups < 0.47, 0.47-1.11, > 1.11) and a mean follow-up slope near -1 point/month
    # (PRO-ACT, n = 3,367: -0.99; Muscle Nerve 2018;57:937).  Median and sigma were tuned by
    # benchmarks/validate_simulator.py against those numbers (approximate).
    rate_median: float = 0.92
    rate_sigma: float = 0.5
    # Older age at onset → faster progression (age is a prognostic factor: Wolf et al. 2014, Westeneng et
    # al. 2018): rate × exp(age_rate_per_decade · (age − age_mean) / 10).  Approximate.
    age_rate_per_decade: float = 0.15
    # Sigmoid shape c/dx: curvilinear decline (D50 model).  Approximate.
    shape_median: float = 2.2
    shape_sigma: float = 0.3
    # Bulbar onset worsens prognosis (Labra 2016: site of onset an independent predictor): rate multiplier.
    # Approximate.
    bulbar_rate_factor: float = 1.25
    # Onset-site shares: bulbar ≈ 20-30% (EMPOWER placebo 20.5%; population cohorts ≈ 30%,
    # spec/domain-rules.md); respiratory and generalized onset rare (approximate).
    bulbar_fraction: float = 0.28
    respiratory_fraction: float = 0.02
    generalized_fraction: float = 0.03
    # Sex: male share ≈ 0.6 in limb onset, lower in bulbar onset (approximate, population cohorts).
    male_fraction_limb: float = 0.62
    male_fraction_bulbar: float = 0.45
    # Age at onset, years (approximate; population cohorts mean 60-65).
    age_mean: float = 62.0
    age_sd: float = 11.0
    # Diagnostic delay, months from onset to diagnosis: median ≈ 11-12 months (approximate; Paganoni et al.,
    # ALS FTD 2014;15:453-6 report a mean delay of 11.5 months), log-normal; capped at 60% of the time to
    # the terminal event (fast progressors are diagnosed sooner).
    diagnostic_delay_median: float = 11.0
    diagnostic_delay_sigma: float = 0.5
    # First (baseline) visit 0-3 months after diagnosis (approximate).
    baseline_lag_months: float = 3.0
    # Terminal latent ALSFRS-R level (death or tracheostomy when the latent course falls below it).
    # Tuned so that median survival from onset is 30-45 months (population cohorts, spec/domain-rules.md)
    # and per-ΔFRS-group survival is near Labra 2016 (2.4 / 1.6 / 0.7 years from the first visit).
    terminal_mean: float = 17.0
    terminal_sd: float = 5.0
    # Tracheostomy instead of death at the terminal level; survival after it (approximate: 5-10% in Europe).
    tracheostomy_fraction: float = 0.07
    tracheostomy_survival_median_months: float = 18.0
    # Gastrostomy when the latent swallowing item (q3) falls below this level, for accepting patients.
    gastrostomy_item_level: float = 1.5
    gastrostomy_accept: float = 0.7
    # NIV start when the latent respiratory-insufficiency item (q12) falls below 3.5 (item 12 = 3 means
    # intermittent BiPAP, Cedarbaum 1999), for accepting patients; refusers keep q12 = 4.  Approximate.
    niv_accept: float = 0.75
    # Item-level noise: sd of the per-item error at mid-scale, at the ceiling/floor, and the visit-shared
    # component (rater, day).  Gives a test-retest SD of the total of ≈ 1.5-2 points (approximate).
    item_noise_mid: float = 0.33
    item_noise_floor: float = 0.12
    visit_noise: float = 0.15
    # FVC % predicted: ``FVC0 · (1 − drop · a_i · (L / L_term)^gamma) − per_resp · L_resp`` with L the latent
    # points lost, L_term those lost at the terminal level, L_resp those of items 10-12: slow early,
    # accelerating, tied to the respiratory items and low at the terminal event.  Tuned so the mean decline
    # in the first year is near -2.7 %/month (SVC, Andrews et al., JAMA Neurol 2018, n = 893 placebo).
    fvc_baseline_mean: float = 100.0
    fvc_baseline_sd: float = 14.0
    fvc_terminal_drop: float = 0.7
    fvc_gamma: float = 1.6
    fvc_per_resp_point: float = 2.0
    fvc_noise_sd: float = 4.0
    # Missed visits and dropout (approximate): probability a scheduled visit is missed; yearly dropout
    # (withdrawal / lost to follow-up) at average progression.
    missed_visit_prob: float = 0.08
    dropout_per_year: float = 0.10
    # Visit-date jitter, days (sd); clipped to ±30% of the interval.
    visit_jitter_days: float = 7.0

    def with_(self, **changes) -> NaturalHistory:
        return replace(self, **changes)


@dataclass(frozen=True)
class EffectModel:
    """The true treatment effect, in natural units per 1 point/month of ``CohortConfig.effect`` (E).

    Effect *intensity* ``w(t)`` (dimensionless) is 0 before the first active administration; after it,
    ``w(t) = m_route · m_source · m_window(τ) · (1 + redose_boost · (n − 1)) · 2^(−τ / half_life)`` where
    τ is the time since the latest active administration and n the number of active administrations so
    far.  ``G(t) = ∫ w`` (months).  With the defaults (no waning, all multipliers 1, no boost)
    ``w = 1`` and ``G(t) = t − t0``.

    * progression: latent ALSFRS-R course ``F(t) = natural(t) + E_i · G(t)`` with
      ``E_i = E · progression · (1 + heterogeneity_sd · z_i)``.  Everything derived from the latent course
      (items, subscores, FVC, grip, HHD, FSS, ALSAQ-40, NfL, gastrostomy/NIV/death times) follows.
    * motor_local_pct: intramuscular only — injected muscles' HHD gains
      ``E · motor_local_pct / 100 · baseline strength · G(t)`` (% of baseline strength per month).
    * motor_pct: all routes — grip and HHD gain ``E · motor_pct / 100 · baseline · G(t)``.
    * respiratory_pct: FVC gains ``E · respiratory_pct · G(t)`` (% predicted) on top of the latent course.
    * fatigue: FSS falls by ``E · fatigue · w(t)`` (points).
    * inflammation_log: log of MCP-1, IL-6, CHI3L1, TNF-α falls by ``E · inflammation_log · w(t)``.
    * nfl_follows_rate: NfL tracks the current latent decline rate (slower decline → lower NfL).

    Every term is proportional to E: ``effect = 0`` changes nothing.
    """

    progression: float = 1.0
    motor_local_pct: float = 2.0
    motor_pct: float = 0.0
    respiratory_pct: float = 0.0
    fatigue: float = 0.0
    inflammation_log: float = 0.3
    nfl_follows_rate: bool = True
    by_route: Mapping[str, float] = field(default_factory=dict)
    by_source: Mapping[str, float] = field(default_factory=dict)
    by_window: Mapping[str, float] = field(default_factory=dict)
    half_life_months: float = math.inf
    redose_boost: float = 0.0
    heterogeneity_sd: float = 0.0

    def __post_init__(self):
        for name in ("by_route", "by_source", "by_window"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def constant(self) -> bool:
        """True when w(t) = route/source multiplier after t0 (no waning, windows or boost)."""
        return (
            math.isinf(self.half_life_months)
            and self.redose_boost == 0.0
            and all(self.by_window.get(w, 1.0) == 1.0 for w in ("short", "mid", "long"))
        )

    def problems(self) -> list[str]:
        out = []
        for k in self.by_route:
            if k not in ROUTES:
                out.append(f"effect model: unknown route {k!r} (one of {', '.join(ROUTES)}).")
        for k in self.by_source:
            if k not in CELL_SOURCES:
                out.append(f"effect model: unknown cell source {k!r} (one of {', '.join(CELL_SOURCES)}).")
        for k in self.by_window:
            if k not in ("short", "mid", "long"):
                out.append(f"effect model: unknown window {k!r} (short, mid or long).")
        if not self.half_life_months > 0:
            out.append("effect model: half_life_months must be > 0 (inf = no waning).")
        if self.heterogeneity_sd < 0:
            out.append("effect model: heterogeneity_sd must be >= 0.")
        return out


@dataclass(frozen=True)
class AERate:
    """Probability of one adverse-event term after one administration by ``route``.

    ``rate_autologous`` / ``rate_allogeneic`` per active administration; a sham (placebo) administration
    gets ``rate × sham_factor`` (the procedure without cells).  Onset ``onset_days`` after the
    administration (uniform, inclusive), duration log-normal with median ``median_days``.
    """

    route: str
    term: str
    rate_autologous: float
    rate_allogeneic: float
    sham_factor: float = 0.0
    onset_days: tuple[int, int] = (0, 3)
    median_days: float = 2.0
    grade_probs: tuple[float, float, float, float] = (0.7, 0.25, 0.05, 0.0)  # grades 1-4
    serious_prob: float = 0.0  # besides grade >= 3, which is always serious
    relatedness: str = "probable"
    source: str = ""


# Intrathecal: pooled review of MSC trials, Stem Cells Int 2019, 8421281 (spec/domain-rules.md): per
# injection, autologous headache ≈ 7%, fever ≈ 8%, puncture-site pain ≈ 7%; allogeneic ≈ 2.5%, 2%, 1.7%.
# Back pain after lumbar puncture, radiculopathy/arachnoiditis (Staff et al., Neurology 2016, high-dose
# adipose MSC: radicular pain, nerve-root enhancement), meningism: approximate.  Headache, back pain and
# puncture-site pain are procedure-related (half the rate after a sham lumbar puncture, approximate).
# Other routes: approximate defaults (no pooled source at hand; *unverified*).
_REVIEW = "Stem Cells Int 2019;8421281 (pooled review)"
DEFAULT_AE_RATES: tuple[AERate, ...] = (
    AERate("intrathecal", "headache", 0.07, 0.025, 0.5, (0, 3), 2.0, source=_REVIEW),
    AERate("intrathecal", "fever", 0.08, 0.02, 0.0, (0, 1), 1.0, source=_REVIEW),
    AERate("intrathecal", "injection_site_pain", 0.07, 0.017, 0.5, (0, 1), 2.0, source=_REVIEW),
    AERate("intrathecal", "back_pain", 0.10, 0.06, 0.5, (0, 2), 3.0, source="approximate"),
    AERate("intrathecal", "meningism", 0.02, 0.01, 0.0, (0, 2), 2.0, (0.5, 0.4, 0.1, 0.0), source="approximate"),
    AERate(
        "intrathecal",
        "radiculopathy",
        0.02,
        0.01,
        0.0,
        (1, 7),
        14.0,
        (0.5, 0.4, 0.1, 0.0),
        source="Staff et al., Neurology 2016 (rate approximate)",
    ),
    AERate(
        "intrathecal",
        "arachnoiditis",
        0.003,
        0.002,
        0.0,
        (3, 21),
        60.0,
        (0.2, 0.4, 0.4, 0.0),
        0.5,
        source="Staff et al., Neurology 2016 (rate approximate)",
    ),
    AERate("intravenous", "fever", 0.04, 0.04, 0.0, (0, 1), 1.0, source="approximate"),
    AERate("intravenous", "headache", 0.03, 0.03, 0.3, (0, 2), 1.0, source="approximate"),
    AERate(
        "intravenous", "allergic_reaction", 0.01, 0.015, 0.0, (0, 0), 1.0, (0.6, 0.3, 0.1, 0.0), source="approximate"
    ),
    AERate(
        "intravenous",
        "thromboembolism",
        0.003,
        0.003,
        0.0,
        (0, 14),
        30.0,
        (0.0, 0.4, 0.5, 0.1),
        1.0,
        relatedness="possible",
        source="approximate",
    ),
    AERate("intramuscular", "injection_site_pain", 0.20, 0.20, 0.8, (0, 1), 3.0, source="approximate"),
    AERate("intramuscular", "fever", 0.02, 0.02, 0.0, (0, 1), 1.0, source="approximate"),
    AERate("intramuscular", "infection", 0.005, 0.005, 0.5, (2, 10), 10.0, (0.3, 0.6, 0.1, 0.0), source="approximate"),
    AERate("intraspinal", "back_pain", 0.40, 0.40, 0.8, (0, 2), 14.0, (0.5, 0.4, 0.1, 0.0), source="approximate"),
    AERate("intraspinal", "radiculopathy", 0.10, 0.10, 0.3, (0, 14), 30.0, (0.4, 0.4, 0.2, 0.0), source="approximate"),
    AERate("intraspinal", "infection", 0.02, 0.02, 0.5, (2, 14), 14.0, (0.2, 0.5, 0.3, 0.0), 0.5, source="approximate"),
    AERate("intraspinal", "meningism", 0.03, 0.03, 0.3, (0, 3), 3.0, (0.5, 0.4, 0.1, 0.0), source="approximate"),
)

# Background adverse events unrelated to any administration, per patient-month of follow-up, in treated
# and untreated patients alike (falls, constipation, pneumonia ...).  Approximate.
DEFAULT_BACKGROUND_AE_PER_MONTH: Mapping[str, float] = MappingProxyType({"other": 0.08, "infection": 0.015})

# Route and cell-source mix when not fixed (approximate shares of published MSC-for-ALS studies).
DEFAULT_ROUTE_MIX: Mapping[str, float] = MappingProxyType(
    {"intrathecal": 0.6, "intravenous": 0.2, "intramuscular": 0.2, "intraspinal": 0.0}
)
DEFAULT_SOURCE_MIX: Mapping[str, float] = MappingProxyType(
    {"bone_marrow": 0.45, "adipose": 0.2, "umbilical_cord": 0.2, "wharton_jelly": 0.1, "placenta": 0.05, "other": 0.0}
)
# Dose per administration (total cells), median by route (approximate; NurOwn: 100-125×10⁶ intrathecal,
# Cudkowicz 2022; intramuscular NurOwn phase 2 ≈ 24×10⁶).
DEFAULT_DOSE = MappingProxyType(
    {"intrathecal": 1.0e8, "intravenous": 7.0e7, "intramuscular": 2.4e7, "intraspinal": 1.0e7}
)

DEFAULT_MEASURES = ("fvc_pct_pred", "grip_kg", "hhd_kg", "fss", "alsaq40", "nfl", "mcp1", "il6", "chi3l1")
BIOMARKERS = ("nfl", "mcp1", "il6", "chi3l1", "tnfa")
DEFAULT_HHD_MUSCLES = ("deltoid", "biceps", "quadriceps", "tibialis_anterior")
DEFAULT_IM_TARGETS = ("biceps;deltoid", "quadriceps;tibialis_anterior", "biceps;quadriceps")


@dataclass(frozen=True)
class CohortConfig:
    """What to simulate.  Times in months (1 month = 30.4375 days)."""

    n_patients: int = 200
    design: str = "registry"
    effect: float = 0.0
    treated_fraction: float | None = None  # None → DEFAULT_TREATED_FRACTION[design]
    route: str | None = None  # None → mix (DEFAULT_ROUTE_MIX), one route per patient
    cell_source: str | None = None  # None → mix (DEFAULT_SOURCE_MIX)
    donor: str | None = None  # None → autologous for bone marrow / adipose (85%), allogeneic otherwise
    cycles: int = 3
    cycle_interval_months: float = 2.0  # NurOwn phase 3: every 8 weeks (Cudkowicz 2022)
    follow_up_months: float = 18.0
    visit_interval_months: float = 1.5
    run_in_months: float = 3.0  # trials: first administration this long after baseline
    delay_months: float | None = (
        None  # delayed_start: second phase start after first treatment (None → half the remaining follow-up)
    )
    registry_continue_prob: float = 0.7  # registry: probability of each further cycle
    selection_on_bad_visit: float = 1.0  # registry: log-odds of starting treatment per SD of observed drop
    # registry: how the treatment visit is chosen.  "sequential" (default): at each visit, from the course
    # observed so far, with probability expit(registry_start_logit + selection · z); "worst_visit": the
    # worst-looking visit of the whole course (looks ahead; a stress test).
    selection_rule: str = "sequential"
    registry_start_logit: float = 0.0  # log-odds of starting at an average-looking visit
    informative_dropout: float = 1.0  # log hazard ratio of dropout per SD of faster latent decline
    effect_model: EffectModel = field(default_factory=EffectModel)
    natural: NaturalHistory = field(default_factory=NaturalHistory)
    ae_rates: tuple[AERate, ...] = DEFAULT_AE_RATES
    ae_rate_scale: float = 1.0
    background_ae_per_month: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BACKGROUND_AE_PER_MONTH))
    route_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ROUTE_MIX))
    source_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SOURCE_MIX))
    measures: tuple[str, ...] = DEFAULT_MEASURES
    hhd_muscles: tuple[str, ...] = DEFAULT_HHD_MUSCLES
    im_targets: tuple[str, ...] = DEFAULT_IM_TARGETS
    biomarker_every: int = 2  # biomarkers at baseline and every k-th scheduled visit
    start_date: str = "2018-01-01"  # first enrolment
    accrual_months: float = 24.0
    id_prefix: str = "SIM"

    def __post_init__(self):
        for name in ("background_ae_per_month", "route_mix", "source_mix"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "measures", tuple(self.measures))
        object.__setattr__(self, "hhd_muscles", tuple(self.hhd_muscles))
        object.__setattr__(self, "im_targets", tuple(self.im_targets))
        object.__setattr__(self, "ae_rates", tuple(self.ae_rates))

    # ------------------------------------------------------------------ derived
    @property
    def treated_share(self) -> float:
        return DEFAULT_TREATED_FRACTION[self.design] if self.treated_fraction is None else float(self.treated_fraction)

    @property
    def n_visits(self) -> int:
        """Scheduled visits including baseline."""
        return math.floor(self.follow_up_months / self.visit_interval_months + 1e-9) + 1

    def replace(self, **changes) -> CohortConfig:
        return replace(self, **changes)

    def problems(self) -> list[str]:
        """Every reason this configuration cannot be simulated, one sentence each (empty = fine)."""
        out: list[str] = []
        if not isinstance(self.n_patients, int) or self.n_patients < 1:
            out.append("n_patients must be a whole number of at least 1.")
        if self.design not in DESIGNS:
            out.append(f"design must be one of {', '.join(DESIGNS)}, not {self.design!r}.")
        if not math.isfinite(self.effect):
            out.append("effect must be a finite number of ALSFRS-R points/month.")
        if self.treated_fraction is not None and not 0.0 <= self.treated_fraction <= 1.0:
            out.append("treated fraction must be between 0 and 1.")
        if self.route is not None and self.route not in ROUTES:
            out.append(f"route must be one of {', '.join(ROUTES)}, not {self.route!r}.")
        if self.cell_source is not None and self.cell_source not in CELL_SOURCES:
            out.append(f"cell source must be one of {', '.join(CELL_SOURCES)}, not {self.cell_source!r}.")
        if self.donor is not None and self.donor not in DONORS:
            out.append(f"donor must be one of {', '.join(DONORS)}, not {self.donor!r}.")
        if not isinstance(self.cycles, int) or not 1 <= self.cycles <= 50:
            out.append("cycles must be a whole number from 1 to 50.")
        if not self.cycle_interval_months > 0:
            out.append("cycle interval must be more than 0 months.")
        if not 0 < self.follow_up_months <= 600:
            out.append("follow-up must be more than 0 and at most 600 months.")
        if not 0.25 <= self.visit_interval_months <= max(self.follow_up_months, 0.25):
            out.append("visit interval must be at least 0.25 months and at most the follow-up.")
        if self.run_in_months < 0 or self.accrual_months < 0:
            out.append("run-in and accrual must be 0 months or more.")
        if self.delay_months is not None and not self.delay_months > 0:
            out.append("delay must be more than 0 months.")
        if self.selection_rule not in ("sequential", "worst_visit"):
            out.append("selection_rule must be 'sequential' or 'worst_visit'.")
        if not math.isfinite(self.registry_start_logit):
            out.append("registry_start_logit must be a finite number.")
        if not 0 <= self.registry_continue_prob <= 1:
            out.append("registry_continue_prob must be between 0 and 1.")
        if not math.isfinite(self.selection_on_bad_visit) or not math.isfinite(self.informative_dropout):
            out.append("selection and dropout strengths must be finite numbers.")
        if self.ae_rate_scale < 0:
            out.append("ae_rate_scale must be >= 0.")
        for k in self.measures:
            if k not in MEASURES:
                out.append(f"unknown measure {k!r}.")
        for m in self.hhd_muscles:
            if m not in MUSCLES:
                out.append(f"unknown muscle {m!r}.")
        for combo in self.im_targets:
            for m in combo.split(";"):
                if m not in MUSCLES:
                    out.append(f"unknown intramuscular target {m!r}.")
        if not self.im_targets:
            out.append("im_targets must list at least one muscle combination.")
        for mix, vocab, label in ((self.route_mix, ROUTES, "route"), (self.source_mix, CELL_SOURCES, "cell source")):
            if any(k not in vocab for k in mix) or any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
                out.append(f"{label} mix must give non-negative weights to known keys, with a positive sum.")
        for r in self.ae_rates:
            if r.route not in ROUTES or r.term not in AE_TERMS:
                out.append(f"AE rate row with unknown route or term: {r.route!r}, {r.term!r}.")
            if not (0 <= r.rate_autologous <= 1 and 0 <= r.rate_allogeneic <= 1 and r.sham_factor >= 0):
                out.append(f"AE rate for {r.route} {r.term} must be a probability between 0 and 1.")
        for term, v in self.background_ae_per_month.items():
            if term not in AE_TERMS or v < 0:
                out.append(f"background AE rate {term!r} must be a known term with a rate >= 0.")
        if self.biomarker_every < 1:
            out.append("biomarker_every must be at least 1.")
        out.extend(self.effect_model.problems())
        return out


__all__ = [
    "BIOMARKERS",
    "DEFAULT_AE_RATES",
    "DESIGNS",
    "AERate",
    "CohortConfig",
    "EffectModel",
    "NaturalHistory",
]
