"""The vectorised simulation of one block of patients (arrays of shape (patients, visits)).

Random numbers: each block b has its own ``SeedSequence(seed, spawn_key=(b,))``, spawned into one
generator per component (patients, visits, item noise, measurement noise, treatment, dropout, adverse
events).  Every component draws a fixed set of arrays whose shapes depend only on the configuration, never
on who is treated or on the effect, so that ``effect = 0`` gives outcomes bit-identical to the untreated
course of the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.domain.vocabulary import CELL_SOURCES, DONORS, ROUTES
from alscell.simulate import natural as nat
from alscell.simulate.config import BIOMARKERS, CohortConfig
from alscell.simulate.effects import integrated_intensity, intensity

BLOCK_SIZE = 10_000  # part of the reproducibility contract: patients are simulated in blocks of this size

SITE_CODES = ("limb", "bulbar", "respiratory", "generalized")  # onset_site of patients.csv
EVENT_CODES = ("gastrostomy", "niv_start", "tracheostomy", "death", "withdrawal", "lost_to_follow_up")

UPPER = {"deltoid", "biceps", "triceps", "wrist_extensors", "first_dorsal_interosseous", "abductor_pollicis_brevis"}
LOWER = {"iliopsoas", "quadriceps", "hamstrings", "tibialis_anterior", "gastrocnemius"}
# Hand-held dynamometry, healthy men (kg), approximate; women × 0.65.
HHD_BASE = {
    "deltoid": 18.0,
    "biceps": 22.0,
    "triceps": 17.0,
    "wrist_extensors": 14.0,
    "first_dorsal_interosseous": 8.0,
    "abductor_pollicis_brevis": 5.0,
    "iliopsoas": 25.0,
    "quadriceps": 35.0,
    "hamstrings": 22.0,
    "tibialis_anterior": 25.0,
    "gastrocnemius": 30.0,
    "tongue": 2.0,
}
# Serum biomarker medians and between-patient log-SD (approximate; Simoa-era serum values).
BIOMARKER_MEDIAN = {"nfl": 60.0, "mcp1": 350.0, "il6": 3.0, "chi3l1": 70.0, "tnfa": 2.0}
BIOMARKER_SD = {"nfl": 0.35, "mcp1": 0.35, "il6": 0.5, "chi3l1": 0.5, "tnfa": 0.4}
BIOMARKER_DECIMALS = {"nfl": 1, "mcp1": 1, "il6": 2, "chi3l1": 1, "tnfa": 2}


@dataclass
class Slot:
    """One measurement column of the long table: measure key with its qualifiers."""

    measure: str
    side: str | None = None
    muscle: str | None = None
    specimen: str | None = None


def measurement_slots(cfg: CohortConfig) -> list[Slot]:
    slots: list[Slot] = []
    for key in cfg.measures:
        if key == "grip_kg":
            slots += [Slot(key, side=s) for s in ("left", "right")]
        elif key == "hhd_kg":
            slots += [Slot(key, side=s, muscle=m) for m in cfg.hhd_muscles for s in ("left", "right")]
        elif key in BIOMARKERS:
            slots.append(Slot(key, specimen="serum"))
        else:
            slots.append(Slot(key))
    return slots


def _lognormal(rng, median, sigma, size):
    return median * np.exp(sigma * rng.standard_normal(size))


def _mix_choice(u, vocab, mix):
    p = np.array([float(mix.get(k, 0.0)) for k in vocab])
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(vocab) - 1)


def simulate_block(cfg: CohortConfig, seed: int, block: int, n: int) -> dict:
    """Simulate ``n`` patients of block ``block``; returns plain arrays (see cohort.py for tables)."""
    ss = np.random.SeedSequence(seed, spawn_key=(block,))
    r_pat, r_vis, r_noise, r_meas, r_treat, r_drop, r_ae = (np.random.default_rng(s) for s in ss.spawn(7))
    nh = cfg.natural
    em = cfg.effect_model
    V = cfg.n_visits

    # ------------------------------------------------------------------ patients (natural history)
    u_site = r_pat.random(n)
    site = np.zeros(n, dtype=np.int8)  # limb
    c1 = nh.bulbar_fraction
    c2 = c1 + nh.respiratory_fraction
    c3 = c2 + nh.generalized_fraction
    site[u_site < c3] = 3
    site[u_site < c2] = 2
    site[u_site < c1] = 1
    upper = r_pat.random(n) < 0.5
    male = r_pat.random(n) < np.where(site == 1, nh.male_fraction_bulbar, nh.male_fraction_limb)
    age = np.clip(nh.age_mean + nh.age_sd * r_pat.standard_normal(n), 25.0, 88.0)
    rate = _lognormal(r_pat, nh.rate_median, nh.rate_sigma, n) * np.where(site == 1, nh.bulbar_rate_factor, 1.0)
    rate = rate * np.exp(nh.age_rate_per_decade * (age - nh.age_mean) / 10.0)
    rate = np.clip(rate, 0.05, 8.0)
    shape = _lognormal(r_pat, nh.shape_median, nh.shape_sigma, n)
    terminal = np.clip(nh.terminal_mean + nh.terminal_sd * r_pat.standard_normal(n), 3.0, 34.0)
    delay_draw = _lognormal(r_pat, nh.diagnostic_delay_median, nh.diagnostic_delay_sigma, n)
    lag_u = r_pat.random(n)
    weight_noise = np.exp(0.35 * r_pat.standard_normal((n, nat.N_ITEMS)))
    u_trach, z_trach, u_gastro, u_niv = r_pat.random(n), r_pat.standard_normal(n), r_pat.random(n), r_pat.random(n)
    fvc0 = np.clip(nh.fvc_baseline_mean + nh.fvc_baseline_sd * r_pat.standard_normal(n), 50.0, 140.0)
    fvc_a = np.exp(0.25 * r_pat.standard_normal(n))
    grip0 = np.clip(np.where(male, 38.0, 24.0) + 7.0 * r_pat.standard_normal(n), 8.0, 70.0)
    asym_upper = r_pat.uniform(-0.4, 0.4, n)
    asym_lower = r_pat.uniform(-0.4, 0.4, n)
    strength = np.exp(0.2 * r_pat.standard_normal(n)) * np.where(male, 1.0, 0.65)
    fss0 = 3.0 + 0.8 * r_pat.standard_normal(n)
    aq0 = 12.0 + 6.0 * r_pat.standard_normal(n)
    bio0 = {k: _lognormal(r_pat, BIOMARKER_MEDIAN[k], BIOMARKER_SD[k], n) for k in BIOMARKERS}
    z_het = r_pat.standard_normal(n)
    u_escorial, u_rilu, u_edara, u_gen, u_accrual = (r_pat.random(n) for _ in range(5))

    center = 24.0 / rate
    dx = center / shape
    norm = expit(shape)
    d50 = center - dx * np.log((norm / 2.0) / (1.0 - norm / 2.0))

    kind = np.where(site == 1, 0, np.where(site == 2, 3, np.where(site == 3, 4, np.where(upper, 1, 2))))
    base_w = np.array(
        [nat.ONSET_WEIGHTS[k] for k in ("bulbar", "upper_limb", "lower_limb", "respiratory", "generalized")]
    )
    weights = base_w[kind] * weight_noise
    alloc = nat.ItemAllocator(weights)
    level_gastro = alloc.total_at_item_loss(2, 4.0 - nh.gastrostomy_item_level)
    level_niv = alloc.total_at_item_loss(11, 0.5)
    levels = np.stack([level_gastro, level_niv, terminal], axis=1)  # (n, 3)
    t_nat = nat.crossing_time(levels, center[:, None], dx[:, None], norm[:, None])  # months from onset

    delay = np.clip(np.minimum(delay_draw, 0.6 * t_nat[:, 2]), 0.5, None)
    base = np.minimum(delay + nh.baseline_lag_months * lag_u, np.maximum(0.85 * t_nat[:, 2], delay))
    delay_day = np.round(delay * DPM).astype(np.int64)
    base_day = np.maximum(np.round(base * DPM).astype(np.int64), delay_day)
    fu_end_day = base_day + round(cfg.follow_up_months * DPM)

    # ------------------------------------------------------------------ visit schedule
    j = np.arange(V)
    jitter = np.clip(
        nh.visit_jitter_days * r_vis.standard_normal((n, V)),
        -0.3 * cfg.visit_interval_months * DPM,
        0.3 * cfg.visit_interval_months * DPM,
    )
    jitter[:, 0] = 0.0
    vday = base_day[:, None] + np.round(j[None, :] * cfg.visit_interval_months * DPM + jitter).astype(np.int64)
    vday = np.maximum.accumulate(vday, axis=1)
    vday[:, 1:] = np.maximum(vday[:, 1:], vday[:, :-1] + 1)  # strictly increasing dates
    missed = r_vis.random((n, V)) < nh.missed_visit_prob
    missed[:, 0] = False
    in_window = vday <= fu_end_day[:, None]
    tv = vday / DPM

    # All noise first (shapes independent of treatment and effect).
    e_items = r_noise.standard_normal((n, V, nat.N_ITEMS))
    e_visit = r_noise.standard_normal((n, V))
    slots = measurement_slots(cfg)
    e_meas = r_meas.standard_normal((n, V, len(slots)))
    u_drop = r_drop.random((n, V))
    u_drop_kind = r_drop.random(n)
    u_drop_offset = r_drop.random(n)

    # ------------------------------------------------------------------ natural course at visits
    Fnat = nat.latent_total(tv, center[:, None], dx[:, None], norm[:, None])
    loss_nat = alloc.losses(nat.TOTAL - Fnat)
    raw_nat = _observe_items(loss_nat, e_items, e_visit, nh)

    term_accept_trach = u_trach < nh.tracheostomy_fraction
    trach_extra = nh.tracheostomy_survival_median_months * np.exp(0.6 * z_trach)

    def _event_days(t_cross):
        """Days of gastrostomy, NIV, tracheostomy, death from crossing times (n, 3); huge = never."""
        never = np.iinfo(np.int64).max // 4
        tt = t_cross[:, 2]
        term_day = np.where(np.isfinite(tt), np.ceil(tt * DPM), never).astype(np.int64)
        g = np.where(
            np.isfinite(t_cross[:, 0]) & (t_cross[:, 0] < tt) & (u_gastro < nh.gastrostomy_accept),
            np.ceil(t_cross[:, 0] * DPM),
            never,
        ).astype(np.int64)
        v = np.where(
            np.isfinite(t_cross[:, 1]) & (t_cross[:, 1] < tt) & (u_niv < nh.niv_accept),
            np.ceil(t_cross[:, 1] * DPM),
            never,
        ).astype(np.int64)
        g, v = np.maximum(g, 1), np.maximum(v, 1)
        tr = np.where(term_accept_trach, term_day, never)
        death = np.where(
            term_accept_trach & (term_day < never), term_day + np.round(trach_extra * DPM).astype(np.int64), term_day
        )
        return g, v, tr, death

    _g_nat, niv_nat, tr_nat, death_nat = _event_days(t_nat)
    tot_nat = _totals(raw_nat, vday, niv_nat, tr_nat)
    base_hazard = -math.log(1.0 - nh.dropout_per_year) / 12.0

    def _dropout(F, death_day):
        dt = np.diff(tv, axis=1)
        rate_obs = np.zeros((n, V))
        rate_obs[:, 1:] = (F[:, :-1] - F[:, 1:]) / dt
        z = np.clip((rate_obs - 1.0) / 0.8, -3.0, 3.0)
        dtp = np.zeros((n, V))
        dtp[:, 1:] = dt
        p = 1.0 - np.exp(-base_hazard * dtp * np.exp(cfg.informative_dropout * z))
        attended = ~missed & in_window & (vday < death_day[:, None])
        drop = attended & (u_drop < p)
        drop[:, 0] = False
        has = drop.any(axis=1)
        jd = np.where(has, np.argmax(drop, axis=1), V)
        day_jd = np.take_along_axis(vday, np.minimum(jd, V - 1)[:, None], axis=1)[:, 0]
        dday = day_jd + 1 + np.floor(u_drop_offset * 14).astype(np.int64)
        ok = has & (dday < death_day) & (dday <= fu_end_day)
        return np.where(ok, jd, V), np.where(ok, dday, np.iinfo(np.int64).max // 4)

    jd_nat, _dday_nat = _dropout(Fnat, death_nat)

    # ------------------------------------------------------------------ treatment assignment
    share = cfg.treated_share
    u_treat = r_treat.random(n)
    u_route, u_source, u_donor, u_target = r_treat.random(n), r_treat.random(n), r_treat.random(n), r_treat.random(n)
    dose_z = r_treat.standard_normal(n)
    gumbel = -np.log(-np.log(np.clip(r_treat.random((n, V)), 1e-300, 1.0)))
    u_delay = r_treat.random(n)
    u_continue = r_treat.random((n, max(cfg.cycles, 1)))
    admin_jitter = r_treat.integers(-3, 4, (n, 2 * cfg.cycles))

    route = np.full(n, ROUTES.index(cfg.route)) if cfg.route else _mix_choice(u_route, ROUTES, cfg.route_mix)
    source = (
        np.full(n, CELL_SOURCES.index(cfg.cell_source))
        if cfg.cell_source
        else _mix_choice(u_source, CELL_SOURCES, cfg.source_mix)
    )
    if cfg.donor:
        donor = np.full(n, DONORS.index(cfg.donor))
    else:
        auto_p = np.select([source <= 1, source == 5], [0.85, 0.5], 0.0)  # bone marrow, adipose → mostly autologous
        donor = np.where(u_donor < auto_p, 0, 1)
    target_combo = np.minimum((u_target * len(cfg.im_targets)).astype(np.int64), len(cfg.im_targets) - 1)

    arm = np.zeros(n, dtype=np.int8)  # 0 untreated/control/placebo/delayed, 1 treated/active/early
    assigned = u_treat < share
    K = cfg.cycles
    interval_days = cfg.cycle_interval_months * DPM
    kk = np.arange(K)
    sel_z = np.full(n, np.nan)
    if cfg.design == "registry":
        prev_idx = np.maximum.accumulate(np.where(~missed, j[None, :], -1), axis=1)
        prev_idx = np.concatenate([np.full((n, 1), -1), prev_idx[:, :-1]], axis=1)
        safe_prev = np.maximum(prev_idx, 0)
        prev_tot = np.take_along_axis(tot_nat, safe_prev, axis=1)
        prev_day = np.take_along_axis(vday, safe_prev, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            drop_rate = (prev_tot - tot_nat) / np.maximum((vday - prev_day) / DPM, 1e-9)
        z = np.where(prev_idx >= 0, (drop_rate - 1.0) / 1.7, 0.0)
        if cfg.selection_rule == "sequential":
            # Decided at each visit from what has been observed so far: a visit takes place (the patient is
            # alive and still followed), and an assigned, not-yet-treated patient starts treatment with
            # probability expit(start_logit + selection · z), z the standardised drop since the last visit.
            eligible = (
                ~missed
                & in_window
                & (vday < death_nat[:, None])
                & (j[None, :] >= 1)
                & (j[None, :] <= V - 2)
                & (j[None, :] <= jd_nat[:, None])
            )
            u_start = np.exp(-np.exp(-gumbel))  # the uniforms behind ``gumbel``: same random stream
            p_start = 1.0 / (1.0 + np.exp(-(cfg.registry_start_logit + cfg.selection_on_bad_visit * z)))
            starts = eligible & (u_start < p_start)
            chosen = np.argmax(starts, axis=1)
            can = assigned & starts.any(axis=1)
        else:  # "worst_visit": the patient is treated after the worst-looking visit of the whole course
            # (uses the future: a stress test that no analysis of the observed past can fully undo).
            eligible = (
                ~missed
                & in_window
                & (vday < death_nat[:, None])
                & (j[None, :] >= 1)
                & (j[None, :] <= V - 2)
                & (j[None, :] < jd_nat[:, None])
            )
            score = np.where(eligible, cfg.selection_on_bad_visit * z + gumbel, -np.inf)
            chosen = np.argmax(score, axis=1)
            can = assigned & eligible.any(axis=1)
        arm[can] = 1
        sel_z = np.where(can, np.take_along_axis(z, chosen[:, None], axis=1)[:, 0], np.nan)
        t0_day = np.take_along_axis(vday, chosen[:, None], axis=1)[:, 0] + 1 + np.floor(u_delay * 21).astype(np.int64)
        n_cyc = (
            1 + np.cumprod(u_continue[:, : K - 1] < cfg.registry_continue_prob, axis=1).sum(axis=1)
            if K > 1
            else np.ones(n, int)
        )
        adm = (
            t0_day[:, None]
            + np.round(kk[None, :] * interval_days).astype(np.int64)
            + np.where(kk > 0, admin_jitter[:, :K], 0)
        )
        planned = can[:, None] & (kk[None, :] < n_cyc[:, None])
        active = planned.copy()
    else:
        t0_day = base_day + round(cfg.run_in_months * DPM)
        adm1 = (
            t0_day[:, None]
            + np.round(kk[None, :] * interval_days).astype(np.int64)
            + np.where(kk > 0, admin_jitter[:, :K], 0)
        )
        arm[assigned] = 1
        if cfg.design == "single_arm":
            adm, planned, active = (
                adm1,
                np.repeat(assigned[:, None], K, axis=1),
                np.repeat(assigned[:, None], K, axis=1),
            )
        elif cfg.design == "rct":
            adm, planned, active = adm1, np.ones((n, K), bool), np.repeat(assigned[:, None], K, axis=1)
        else:  # delayed_start
            delay_m = (
                cfg.delay_months
                if cfg.delay_months is not None
                else max((cfg.follow_up_months - cfg.run_in_months) / 2.0, cfg.cycle_interval_months)
            )
            adm2 = adm1 + round(delay_m * DPM) + (admin_jitter[:, K:] - admin_jitter[:, :K]) * (kk > 0)
            adm = np.concatenate([adm1, adm2], axis=1)
            planned = np.ones((n, 2 * K), bool)
            active = np.concatenate([np.repeat(assigned[:, None], K, axis=1), np.ones((n, K), bool)], axis=1)
    adm = np.maximum.accumulate(adm, axis=1)
    planned &= adm <= fu_end_day[:, None]
    active &= planned

    # Effect per patient (slope change at full intensity, points/month).
    m_route = np.array([em.by_route.get(r, 1.0) for r in ROUTES])[route]
    m_source = np.array([em.by_source.get(s, 1.0) for s in CELL_SOURCES])[source]
    e_base = cfg.effect * m_route * m_source * (1.0 + em.heterogeneity_sd * z_het)
    has_active = active.any(axis=1)
    e_base = np.where(has_active, e_base, 0.0)
    e_prog = e_base * em.progression
    act_months = np.sort(np.where(active, adm / DPM, np.inf), axis=1)
    t0_act = act_months[:, 0]

    # ------------------------------------------------------------------ treated course
    eff = np.flatnonzero(e_base != 0.0)  # patients with any effect term
    Feff, loss, raw, t_cross = Fnat, loss_nat, raw_nat, t_nat
    Gfull = np.zeros((n, V))
    if eff.size:
        Gfull[eff] = integrated_intensity(tv[eff], act_months[eff], em)
    prog = np.flatnonzero(e_prog != 0.0)
    if prog.size:
        Feff = Fnat.copy()
        Feff[prog] = np.clip(Fnat[prog] + e_prog[prog, None] * Gfull[prog], 0.0, nat.TOTAL)
        changed = Feff != Fnat
        if changed.any():
            rows, cols = np.nonzero(changed)
            loss = loss_nat.copy()
            loss[rows, cols] = alloc.losses(nat.TOTAL - Feff[rows, cols], rows=rows)
            raw = raw_nat.copy()
            raw[rows, cols] = _observe_items(loss[rows, cols], e_items[rows, cols], e_visit[rows, cols], nh)
        # Event crossing times after the first active administration, on a grid.
        need = prog[(t_nat[prog] > t0_act[prog, None]).any(axis=1)]
        if need.size:
            horizon = fu_end_day[need] / DPM + 0.5
            c_, d_, n_, e_, a_ = (
                center[need, None],
                dx[need, None],
                norm[need, None],
                e_prog[need, None],
                act_months[need],
            )

            def course(tt):
                return np.clip(nat.latent_total(tt, c_, d_, n_) + e_ * integrated_intensity(tt, a_, em), 0.0, nat.TOTAL)

            grid_t = nat.first_crossing_on_grid(t0_act[need], horizon, levels[need], course)
            before = t_nat[need] <= t0_act[need, None]
            t_cross = t_nat.copy()
            t_cross[need] = np.where(before, t_nat[need], grid_t)
    gastro_day, niv_day, trach_day, death_day = _event_days(t_cross)
    jd, dday = _dropout(Feff, death_day)

    attended = ~missed & in_window & (vday < death_day[:, None]) & (j[None, :] <= jd[:, None])
    end_day = np.minimum(np.minimum(death_day, dday), fu_end_day + 1)
    delivered = planned & (adm < end_day[:, None])
    active_del = active & delivered

    # ------------------------------------------------------------------ measurements
    w_int = None
    if eff.size and (em.fatigue or em.inflammation_log or em.nfl_follows_rate):
        w_int = np.zeros((n, V))
        w_int[eff] = intensity(tv[eff], act_months[eff], em)
    values = _measure_values(
        cfg,
        slots,
        e_meas,
        loss,
        Feff,
        tv,
        Gfull,
        w_int,
        e_base,
        route,
        target_combo,
        dict(
            fvc0=fvc0,
            fvc_a=fvc_a,
            grip0=grip0,
            asym_upper=asym_upper,
            asym_lower=asym_lower,
            strength=strength,
            fss0=fss0,
            aq0=aq0,
            bio0=bio0,
            rate=rate,
            center=center,
            dx=dx,
            norm=norm,
            male=male,
            terminal=terminal,
        ),
    )
    bio_visit = (j % cfg.biomarker_every) == 0

    return dict(
        n=n,
        V=V,
        site=site,
        male=male,
        age=age,
        rate=rate,
        shape=shape,
        center=center,
        dx=dx,
        norm=norm,
        d50=d50,
        delay_day=delay_day,
        base_day=base_day,
        fu_end_day=fu_end_day,
        vday=vday,
        attended=attended,
        raw=raw,
        gastro_day=gastro_day,
        niv_day=niv_day,
        trach_day=trach_day,
        death_day=death_day,
        dropout_day=dday,
        dropout_kind=np.where(u_drop_kind < 0.5, 4, 5),
        jd=jd,
        end_day=end_day,
        t_nat=t_nat,
        t_cross=t_cross,
        arm=arm,
        assigned=assigned,
        route=route,
        source=source,
        donor=donor,
        target_combo=target_combo,
        adm=adm,
        planned=planned,
        active=active,
        delivered=delivered,
        active_del=active_del,
        dose_z=dose_z,
        e_base=e_base,
        e_prog=e_prog,
        sel_z=sel_z,
        Fnat=Fnat,
        Feff=Feff,
        slots=slots,
        values=values,
        bio_visit=bio_visit,
        u_escorial=u_escorial,
        u_rilu=u_rilu,
        u_edara=u_edara,
        u_gen=u_gen,
        u_accrual=u_accrual,
        rng_ae=r_ae,
    )


def _observe_items(loss, e_items, e_visit, nh):
    """Observed items 0-4 (int8) from latent item losses with item-level noise, floors and ceilings."""
    v = 4.0 - loss
    sd = nh.item_noise_floor + nh.item_noise_mid * np.sqrt(np.clip(v * (4.0 - v), 0.0, None)) / 2.0
    return np.clip(np.rint(v + sd * e_items + nh.visit_noise * e_visit[..., None]), 0, 4).astype(np.int8)


def item_matrix(raw, vday, niv_day, trach_day):
    """Apply the event rules to item 12: 4 before NIV, ≤ 3 (≥ 1) on NIV, 0 after tracheostomy."""
    out = raw.copy()
    on_niv = vday >= niv_day[:, None]
    trach = vday >= trach_day[:, None]
    q12 = np.where(on_niv, np.clip(raw[..., 11], 1, 3), 4)
    out[..., 11] = np.where(trach, 0, q12).astype(np.int8)
    return out


def _totals(raw, vday, niv_day, trach_day):
    return item_matrix(raw, vday, niv_day, trach_day).sum(axis=-1, dtype=np.int64).astype(float)


def _fvc(p, L, l_resp, nh):
    frac = np.clip(L / (nat.TOTAL - p["terminal"])[:, None], 0.0, 1.5)
    drop = np.clip(nh.fvc_terminal_drop * p["fvc_a"][:, None] * frac**nh.fvc_gamma, 0.0, 1.0)
    return p["fvc0"][:, None] * (1.0 - drop) - nh.fvc_per_resp_point * l_resp


def _measure_values(cfg, slots, e_meas, loss, F, tv, G, w_int, e_base, route, target_combo, p):
    """Values (n, V, S) of every measurement slot (NaN = not measured)."""
    em = cfg.effect_model
    n, V = F.shape
    L = nat.TOTAL - F
    l_resp = loss[..., list(nat.RESP)].sum(-1)
    l_fine = loss[..., list(nat.FINE)].sum(-1)
    l_gross = loss[..., list(nat.GROSS)].sum(-1)
    l_bulbar = loss[..., list(nat.BULBAR)].sum(-1)
    eG = e_base[:, None] * G
    out = np.empty((n, V, len(slots)))
    im = route == ROUTES.index("intramuscular")
    combos = [set(c.split(";")) for c in cfg.im_targets]
    frac_l = L / nat.TOTAL
    nfl_rate = None
    for s, slot in enumerate(slots):
        e = e_meas[..., s]
        key = slot.measure
        if key == "fvc_pct_pred":
            val = _fvc(p, L, l_resp, cfg.natural)
            if em.respiratory_pct:
                val = val + em.respiratory_pct * eG
            val = np.round(np.clip(val + cfg.natural.fvc_noise_sd * e, 0.0, 150.0), 1)
        elif key == "svc_pct_pred":
            val = 0.97 * _fvc(p, L, l_resp, cfg.natural)
            val = np.round(np.clip(val + cfg.natural.fvc_noise_sd * e, 0.0, 150.0), 1)
        elif key in ("grip_kg", "hhd_kg"):
            sign = -1.0 if slot.side == "left" else 1.0
            muscle = slot.muscle
            if key == "grip_kg" or muscle in UPPER:
                region, asym = l_fine, p["asym_upper"]
            elif muscle in LOWER:
                region, asym = l_gross, p["asym_lower"]
            else:
                region, asym = l_bulbar, p["asym_upper"] * 0.0
            frac = np.clip(region * (1.0 + sign * asym[:, None]) / 12.0, 0.0, 1.0)
            base0 = p["grip0"] if key == "grip_kg" else HHD_BASE[muscle] * p["strength"]
            val = base0[:, None] * (1.0 - frac) ** 1.2
            if em.motor_pct:
                val = val + base0[:, None] * em.motor_pct / 100.0 * eG
            if key == "hhd_kg" and em.motor_local_pct:
                local = im & np.array([muscle in c for c in combos])[target_combo]
                val = val + np.where(local, base0 * em.motor_local_pct / 100.0, 0.0)[:, None] * eG
            hi = 100.0 if key == "grip_kg" else 150.0
            noise = 1.5 if key == "grip_kg" else 0.08 * np.maximum(val, 0.0) + 0.3
            val = np.round(np.clip(val + noise * e, 0.0, hi), 1)
        elif key == "fss":
            val = p["fss0"][:, None] + 3.0 * frac_l**0.8 + 0.35 * e
            if w_int is not None and em.fatigue:
                val = val - em.fatigue * e_base[:, None] * w_int
            val = np.round(np.clip(val, 1.0, 7.0), 2)
        elif key in ("alsaq40", "alsaq5"):
            val = np.round(np.clip(p["aq0"][:, None] + 75.0 * frac_l**0.9 + 4.0 * e, 0.0, 100.0), 1)
        elif key == "cnsbfs":
            val = np.round(np.clip(21.0 + 91.0 * (l_bulbar / 12.0) ** 1.1 + 2.0 * e, 21.0, 112.0), 0)
        elif key == "weight_kg":
            val = np.round(
                np.clip(np.where(p["male"], 80.0, 65.0)[:, None] * (1.0 - 0.15 * frac_l) + 1.0 * e, 20.0, 250.0), 1
            )
        elif key in BIOMARKERS:
            logv = np.log(p["bio0"][key])[:, None] + np.zeros((n, V))
            if key == "nfl":
                if nfl_rate is None:
                    nfl_rate = nat.latent_decline_rate(tv, p["center"][:, None], p["dx"][:, None], p["norm"][:, None])
                    if w_int is not None and em.nfl_follows_rate:
                        nfl_rate = np.maximum(nfl_rate - e_base[:, None] * em.progression * w_int, 0.02)
                logv = logv + 0.6 * np.log(nfl_rate / 0.9) + 0.15 * e
            else:
                logv = logv + 0.15 * np.log(p["rate"] / 0.9)[:, None] + 0.2 * e
                if w_int is not None and em.inflammation_log:
                    logv = logv - em.inflammation_log * e_base[:, None] * w_int
            val = np.round(
                np.clip(np.exp(logv), 0.0, 10000.0 if key in ("il6", "tnfa", "chi3l1") else 100000.0),
                BIOMARKER_DECIMALS[key],
            )
        else:  # munix, cmap_mv
            hi = 2000.0 if key == "munix" else 30.0
            val = np.round(np.clip(0.6 * hi * (1.0 - 0.8 * frac_l) * np.exp(0.1 * e), 0.0, hi), 1)
        out[..., s] = val
    return out
