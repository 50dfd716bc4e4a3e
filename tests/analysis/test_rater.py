"""Who rated each visit: the flags, the warning, and history="rater" (alscell.analysis.rater)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alscell.analysis.g_estimation import g_estimation
from alscell.analysis.rater import RATER_GAP, rater_flags, rater_rule
from alscell.analysis.rater_drift import DRIFT_MIN, DRIFT_Z, drift_rule, rater_offsets
from alscell.io.tables import Tables
from registry_arrays import tables_from_totals

SHIFT = 3.0  # points a phone rating reads above a clinician's in the fixture (an exaggeration, for power)


def _phoned(
    n: int,
    seed: int,
    calls_by_phone: bool = True,
    effect: float = 0.0,
    routine: str = "phone",
    after: float = 0.0,
    share: float = 0.10,
    shift: float = SHIFT,
    curve: float = 0.0,
    rising: bool = False,
    by_drop: float = 0.0,
) -> Tables:
    """Courses seen every 3 months, straight unless ``curve`` (then losing ``curve``·(t − 4)² more: accelerating);
    ``share`` of routine visits by phone (rising with the visit number, from 0 to twice that, when ``rising``);
    treatment starts at a visit with probability 0.08 (with ``by_drop``, more likely after a larger observed drop
    since the previous visit: a decision on a visit's reading), the visit at which it starts a phone call when
    ``calls_by_phone`` (else a routine visit like any other), and each visit after it a phone call with
    probability ``after``.  A phone rating reads ``shift`` points high.  No true effect unless ``effect``."""
    rng = np.random.default_rng(seed)
    k = 9
    rate = rng.lognormal(np.log(0.8), 0.3, n)
    t = rng.uniform(4, 14, n)[:, None] + 3.0 * np.arange(k)[None, :]
    latent = 46.0 - rate[:, None] * t - curve * (t - 4.0) ** 2
    T = np.full(n, np.inf)
    call = np.zeros((n, k), bool)
    if by_drop:  # the readings first, so that the decision can see them
        u, noise = rng.random((n, k)), rng.normal(0, 1.0, (n, k))
        by_phone = u < share
        seen = latent + shift * by_phone + noise
        for j in range(1, k - 2):
            drop = seen[:, j - 1] - seen[:, j] - 2.4
            start = np.isinf(T) & (rng.random(n) < 0.16 / (1 + np.exp(-by_drop * drop)))
            T[start] = t[start, j]
            call[start, j] = True
    else:
        for j in range(1, k - 2):
            start = np.isinf(T) & (rng.random(n) < 0.08)
            T[start] = t[start, j]
            call[start, j] = True
        ramp = 2.0 * np.arange(k)[None, :] / (k - 1) if rising else 1.0
        by_phone = rng.random((n, k)) < share * ramp  # routine visits rated by ``routine``
    call |= (t > T[:, None]) & (rng.random((n, k)) < after)  # follow-up calls after the start
    phone = by_phone | (call if calls_by_phone else (call & (t > T[:, None])))
    if not by_drop:
        noise = rng.normal(0, 1.0, (n, k))
    y = latent + effect * np.clip(t - T[:, None], 0, None) + shift * phone + noise
    tables = tables_from_totals(t, y, T)
    a = tables["alsfrs"].copy()
    a["assessor"] = np.where((phone & ~by_phone).ravel(), "phone", np.where(by_phone.ravel(), routine, ""))
    return Tables.from_frames(patients=tables["patients"], treatments=tables["treatments"], alsfrs=a)


def test_flags_follow_the_assessor_column_and_an_empty_one_is_a_clinician():
    t = _phoned(30, seed=1)
    a = t["alsfrs"]
    df = a[["patient_id", "date"]].sample(frac=1.0, random_state=2)  # any order of rows
    flags, modes = rater_flags(t, df)
    assert modes == ("phone",) and flags.shape == (len(df), 1)
    expected = df.merge(a[["patient_id", "date", "assessor"]], how="left")["assessor"].eq("phone")
    assert (flags[:, 0] == expected.to_numpy()).all()
    clinician = Tables.from_frames(patients=t["patients"], alsfrs=a.assign(assessor=""))
    assert rater_flags(clinician, df)[0].shape == (len(df), 0)
    assert rater_flags(t, df.drop(columns="date"))[1] == ()


def test_the_rule_needs_a_gap_and_its_z_and_other_visits_so_rated():
    starts = np.r_[np.ones(20, bool), np.zeros(200, bool)]
    other = np.r_[np.ones(20), (np.arange(200) < 20).astype(float)][:, None]  # 100% against 10%
    cols, warn = rater_rule(other, ("phone",), starts, always=False)
    assert cols == [0] and "were adjusted for who rated" in warn[0] and "phone: 100%" in warn[0]
    near = np.r_[(np.arange(20) < 5).astype(float), (np.arange(200) < 20).astype(float)][:, None]  # 25% v 10%
    assert 0.25 - 0.10 < RATER_GAP and rater_rule(near, ("phone",), starts, always=False) == ([], [])
    assert rater_rule(near, ("phone",), starts, always=True) == ([0], [])  # history="rater"
    few = np.r_[np.ones(4, bool), np.zeros(200, bool)]  # 2 of 4 starts against 20%: a gap, but not 4 SEs
    flags = np.r_[1, 1, 0, 0, (np.arange(200) < 40)].astype(float)[:, None]
    assert rater_rule(flags, ("phone",), few, always=False) == ([], [])
    # the starts are the only visits so rated: nothing to learn the mode's level from, so no adjustment
    only = np.r_[np.ones(20), np.zeros(200)][:, None]
    cols, warn = rater_rule(only, ("phone",), starts, always=True)
    assert cols == [] and "cannot adjust" in warn[0]
    assert rater_rule(other, ("phone",), starts, always=False, allowed=False)[0] == []


def test_each_mode_is_judged_alone_and_one_seen_only_at_starts_is_left_out():
    """Every start by phone, the other non-clinician visits self-rated: pooled, the modes look usable, but the
    phone flag would predict the starts perfectly (the review of 2026-12-05 found +5.7 from it)."""
    starts = np.r_[np.ones(20, bool), np.zeros(200, bool)]
    phone = np.r_[np.ones(20), np.zeros(200)]
    self_rated = np.r_[np.zeros(20), (np.arange(200) < 30).astype(float)]
    cols, warn = rater_rule(np.column_stack([self_rated, phone]), ("self", "phone"), starts, always=True)
    assert cols == [] and any("no other visit was rated by phone" in w for w in warn)
    # a mode seen at starts and elsewhere is kept beside it
    phone_too = phone + np.r_[np.zeros(20), (np.arange(200) >= 190).astype(float)]
    cols, _ = rater_rule(np.column_stack([self_rated, phone_too]), ("self", "phone"), starts, always=False)
    assert cols == [1]


def test_phone_starts_with_self_rated_others_give_no_absurd_estimate():
    t = _phoned(800, seed=9, routine="self")  # every call by phone, the routine non-clinician visits self-rated
    e = g_estimation(t)
    assert set(t["alsfrs"]["assessor"]) == {"", "phone", "self"}
    # the phone flag is left out (it would separate the starts): the estimate keeps the unadjusted lean, about
    # −0.2 here, instead of the +5.7 the flag gave, and the result says it could not adjust
    assert e.details["propensity_range"][1] < 0.999 and -0.5 < e.estimate < 0, (e.estimate, e.se)
    assert any("no other visit was rated by phone" in w for w in e.warnings)


def test_starts_rated_by_phone_would_make_the_estimate_lean_and_the_rule_removes_it():
    t = _phoned(1500, seed=5)
    default, rater = g_estimation(t), g_estimation(t, history="rater")
    # without the raters the inflated start visit makes every slope measured from it steeper: a lean against
    # treatment (the same cohort with every visit called a clinician's: the history cannot see the phone)
    unseen = Tables.from_frames(
        patients=t["patients"], treatments=t["treatments"], alsfrs=t["alsfrs"].assign(assessor="clinician")
    )
    blind = g_estimation(unseen)
    assert blind.estimate < -3 * blind.se, (blind.estimate, blind.se)
    # the default sees that the starts were phone calls and adds who rated each visit: as history="rater"
    assert abs(default.estimate) < 3 * default.se, (default.estimate, default.se)
    assert (default.estimate, default.se) == (rater.estimate, rater.se)
    assert default.details["history_terms"] == blind.details["history_terms"] + 1
    assert any("were adjusted for who rated" in w for w in default.warnings)
    # adjust_raters=False: the default as it was before the rule, which says what it did not do
    before = g_estimation(t, adjust_raters=False)
    assert before.details["history_terms"] == blind.details["history_terms"]
    assert before.estimate < -3 * before.se and any("adjust_raters=False" in w for w in before.warnings)


@pytest.mark.parametrize("effect", [0.0, 0.3])
def test_random_phone_visits_do_not_warn_and_the_rater_history_then_changes_little(effect):
    t = _phoned(1500, seed=6, calls_by_phone=False, effect=effect)
    standard, rater = g_estimation(t), g_estimation(t, history="rater")
    assert not any("rated differently" in w for w in standard.warnings + rater.warnings)
    assert not standard.details["raters_after_start"]["phone"]["fired"]
    assert abs(standard.estimate - effect) < 3 * standard.se
    assert abs(rater.estimate - standard.estimate) < 0.5 * standard.se


def test_without_other_raters_the_rater_history_is_the_standard_one_to_the_last_digit():
    t = _phoned(400, seed=7)
    clinician = Tables.from_frames(
        patients=t["patients"], treatments=t["treatments"], alsfrs=t["alsfrs"].assign(assessor="clinician")
    )
    a, b = g_estimation(clinician), g_estimation(clinician, history="rater")
    assert (a.estimate, a.se) == (b.estimate, b.se)
    assert a.details["history_terms"] == b.details["history_terms"]
    assert not any("rated differently" in w for w in a.warnings)


def test_outcomes_other_than_alsfrs_get_no_rater_terms():
    t = _phoned(200, seed=8)
    a = t["alsfrs"]
    fvc = pd.DataFrame(
        {"patient_id": a["patient_id"], "date": a["date"], "measure": "fvc_pct_pred", "value": 100.0 - a.index % 40}
    )
    t = Tables.from_frames(patients=t["patients"], treatments=t["treatments"], alsfrs=a, measurements=fvc)
    e, r = g_estimation(t, "fvc_pct_pred"), g_estimation(t, "fvc_pct_pred", history="rater")
    assert e.details["history_terms"] == r.details["history_terms"]


def test_follow_up_by_phone_after_the_start_leans_and_the_offset_is_removed():
    """Treated patients followed up by phone (80% of their visits after the start), phone ratings SHIFT high:
    unadjusted the slopes lean for treatment (the review of 2026-12-05 found +0.14 on such a probe)."""
    t = _phoned(1500, seed=11, calls_by_phone=False, after=0.8)
    raw, adjusted = g_estimation(t, adjust_raters=False), g_estimation(t)
    assert raw.estimate > 5 * raw.se and any("the settings do not adjust for it" in w for w in raw.warnings)
    assert abs(adjusted.estimate) < 3 * adjusted.se, (adjusted.estimate, adjusted.se)
    drift = [w for w in adjusted.warnings if "after treatment started" in w]
    assert len(drift) == 1 and "was removed from the slopes" in drift[0] and "phone reads +3.0" in drift[0]
    info = adjusted.details["raters_after_start"]["phone"]
    assert info["fired"] and info["share_change_per_month"] > 4 * info["se"] and 2.5 < info["offset_points"] < 3.5
    # with a true effect the adjusted estimate finds it
    eff = g_estimation(_phoned(1500, seed=12, calls_by_phone=False, after=0.8, effect=0.3))
    assert abs(eff.estimate - 0.3) < 3 * eff.se, (eff.estimate, eff.se)
    # the modifiers' path does not adjust, and says so
    mod = g_estimation(t, modifiers=("level",))
    assert any("the settings do not adjust for it" in w for w in mod.warnings)


def test_without_untreated_visits_rated_both_ways_the_drift_only_warns():
    t = _phoned(800, seed=14, calls_by_phone=False, after=0.8, share=0.0)  # phone only after starts
    e, raw = g_estimation(t), g_estimation(t, adjust_raters=False)
    assert any("too few patients were rated both ways" in w and "phone: 0;" in w for w in e.warnings)
    assert (e.estimate, e.se) == (raw.estimate, raw.se)


def test_the_drift_rule_needs_its_size_and_its_z():
    d = np.array([DRIFT_MIN * 1.01, DRIFT_MIN * 0.99, 0.05, 0.05, -0.05])
    se = np.array([d[0] / (DRIFT_Z + 0.1), 1e-6, 0.05 / (DRIFT_Z - 0.1), np.nan, 0.001])
    assert drift_rule(d, se).tolist() == [True, False, False, False, True]


def test_offsets_are_exact_on_straight_noiseless_courses_and_need_patients_rated_both_ways():
    rng = np.random.default_rng(3)
    pid = np.repeat(np.arange(30), 6)
    t = np.tile(np.arange(6) * 3.0, 30) + rng.uniform(0, 5, 180)
    f = (rng.random((180, 2)) < 0.3).astype(float)
    y = 40 - rng.uniform(0.5, 1.5, 30)[pid] * t + rng.normal(0, 3, 30)[pid] + f @ np.array([2.5, -1.0])
    off = rater_offsets(pid, t, y, f, np.ones(180, bool))
    # a constant offset: 2.5 and −1.0 at every level, none per point of level
    assert off.identified.all() and np.allclose(off.gamma, [2.5, 0, -1.0, 0], atol=1e-9)
    assert np.allclose(off.influence, 0, atol=1e-9) and len(off.patients) == 30
    assert off.columns.shape == (180, 4) and (off.columns[:, 0::2] == f).all()
    # the visits after treatment are left out: a step there does not move the offsets
    after = t > 12
    assert np.allclose(rater_offsets(pid, t, y + 5.0 * after * f[:, 0], f, ~after).gamma, [2.5, 0, -1.0, 0])
    # a mode rated in fewer than MIN_OFFSET_PATIENTS patients is not identified
    rare = f.copy()
    rare[pid >= 5, 1] = 0
    assert rater_offsets(pid, t, y, rare, np.ones(180, bool)).identified.tolist() == [True, False]


def test_a_modifier_at_a_phone_rated_start_is_read_as_a_clinician_would_have(monkeypatch):
    """With every start a phone call reading SHIFT high, the level at the start is inflated by SHIFT; where the
    starts' rule fires, the modifiers are computed from the score with each mode's offset removed."""
    import alscell.analysis.g_estimation as ge

    seen = []
    real = ge.modifier_columns
    monkeypatch.setattr(ge, "modifier_columns", lambda df, top, names: seen.append(df) or real(df, top, names))
    t = _phoned(600, seed=15)
    e = g_estimation(t, modifiers=("level",))
    assert e.details["effect_modification"][0]["modifier"] == "level" and len(seen) == 2
    flags = rater_flags(t, seen[0])[0][:, 0] > 0
    moved = seen[0]["y"].to_numpy(float) - seen[1]["y"].to_numpy(float)
    assert np.allclose(moved[~flags], 0) and abs(moved[flags].mean() - SHIFT) < 0.5
    # without the rule (adjust_raters=False) the modifiers read the score as rated
    seen.clear()
    g_estimation(t, modifiers=("level",), adjust_raters=False)
    assert len(seen) == 1


@pytest.mark.parametrize("seed", [21, 22])
def test_a_mode_used_more_as_time_goes_on_is_not_read_as_an_offset_on_curved_courses(seed):
    """Accelerating courses, phone visits more frequent later for everyone, the treated followed up by phone,
    and no offset: a level term learned within patients took up the curvature (−0.12 points, +0.03 points/month
    of lean: the review of 2026-12-05); learned between patients it does not."""
    t = _phoned(1500, seed, calls_by_phone=False, after=0.8, shift=0.0, curve=0.03, rising=True)
    e = g_estimation(t)
    info = e.details["raters_after_start"]["phone"]
    assert info["fired"] and abs(info["offset_points"]) < 0.08, info
    assert abs(e.estimate) < 3 * e.se


def test_the_visits_at_which_treatment_started_do_not_teach_the_offset():
    """Starts after a drop seen at a phone-rated visit: the decision selects those readings' noise, so the
    offset learned with them was 2.3 for a true 3 (the review of 2026-12-05); without them it is about 3."""
    t = _phoned(1500, 21, calls_by_phone=True, after=0.8, by_drop=1.5)
    e = g_estimation(t)
    assert abs(e.details["raters_after_start"]["phone"]["offset_points"] - SHIFT) < 0.25
    assert abs(e.estimate) < 3 * e.se


def test_the_offsets_uncertainty_enters_the_interval(monkeypatch):
    """With few patients rated both ways the offsets are uncertain; their influence is part of the SE."""
    import alscell.analysis.g_estimation as ge
    from alscell.analysis.rater_drift import rater_offsets as real

    t = _phoned(1500, 24, calls_by_phone=False, after=0.8, share=0.004)
    full = g_estimation(t)
    monkeypatch.setattr(ge, "rater_offsets", lambda *a: real(*a)._replace(influence=np.zeros_like(real(*a).influence)))
    fixed = g_estimation(t)
    assert full.estimate == fixed.estimate and full.details["raters_after_start"]["phone"]["fired"]
    assert full.se > 1.2 * fixed.se, (full.se, fixed.se)


def test_forward_offsets_are_exact_on_straight_noiseless_courses_and_an_unknown_design_is_refused():
    """design="forward": each visit's change to the next clinician visit against the pace on both sides of the
    pair; on straight noiseless courses with constant offsets it recovers them exactly, as the default does."""
    rng = np.random.default_rng(3)
    n, k = 200, 10
    pid = np.repeat(np.arange(n), k)
    t = np.tile(np.arange(k) * 3.0, n) + rng.uniform(0, 5, n * k)
    f = (rng.random((n * k, 2)) < 0.15).astype(float)
    y = 40 - rng.uniform(0.5, 1.5, n)[pid] * t + rng.normal(0, 3, n)[pid] + f @ np.array([2.5, -1.0])
    off = rater_offsets(pid, t, y, f, np.ones(n * k, bool), design="forward")
    assert off.identified.all() and np.allclose(off.gamma, [2.5, 0, -1.0, 0], atol=1e-9)
    assert np.allclose(off.influence, 0, atol=1e-9)
    after = t > 21  # the visits after treatment are left out
    moved = rater_offsets(pid, t, y + 5.0 * after * f[:, 0], f, ~after, design="forward")
    assert np.allclose(moved.gamma, [2.5, 0, -1.0, 0])
    with pytest.raises(ValueError, match="unknown design"):
        rater_offsets(pid, t, y, f, np.ones(n * k, bool), design="sideways")


def test_where_the_primary_accounts_for_who_rated_the_mixed_models_hold_a_level_per_mode():
    """Phone follow-up after the start (the primary removes the offset) and phone calls for cells (the primary's
    history holds the flag): the mixed-model alternatives then hold a level per mode, which takes their lean away
    (phone ratings SHIFT high, no effect), and the summary says so; with clinicians only, nothing changes."""
    from alscell.analysis.effects import lmm_counterfactual
    from alscell.analysis.sensitivity import sensitivity_analyses

    t = _phoned(600, seed=11, calls_by_phone=False, after=0.8)
    s = sensitivity_analyses(t)
    assert s.raters_note and "share of visits rated by phone changing at the start" in s.raters_note
    assert "held a level of their own for each rating mode (phone)" in s.raters_note
    assert s.raters_note in s.summary() and s.to_json_dict()["sensitivity_summary"]["raters_note"] == s.raters_note
    raw = lmm_counterfactual(t)
    assert raw.estimate > 5 * raw.se and "raters_held" not in raw.details  # unadjusted, the follow-up calls lean
    rows = {r.analysis: r for r in s.rows}
    for key in ("lmm_counterfactual", "lmm_bounded"):
        est = rows[key].result
        assert est is not None and est.details["raters_held"] == ["phone"]
        assert abs(est.estimate) < 3 * est.se, (key, est.estimate, est.se)
        assert rows[key].to_json_dict()["raters_held"] == ["phone"]
    calls = sensitivity_analyses(_phoned(600, seed=5))
    assert calls.primary.details["raters_in_history"] == ["phone"]
    assert calls.raters_note and "held who rated each visit (phone)" in calls.raters_note
    t = _phoned(300, seed=7)
    clinician = Tables.from_frames(
        patients=t["patients"], treatments=t["treatments"], alsfrs=t["alsfrs"].assign(assessor="clinician")
    )
    plain = sensitivity_analyses(clinician)
    assert plain.raters_note is None and plain.to_json_dict()["sensitivity_summary"]["raters_note"] is None
    assert "raters_in_history" not in plain.primary.details
    assert all(r.to_json_dict()["raters_held"] == [] for r in plain.rows)


def test_a_level_per_mode_changes_nothing_without_other_raters():
    """adjust_raters on a registry rated by clinicians only is the plain mixed model to the last digit; with phone
    ratings it holds their level and the estimate moves."""
    from alscell.analysis.effects import lmm_counterfactual

    t = _phoned(300, seed=7)
    clinician = Tables.from_frames(
        patients=t["patients"], treatments=t["treatments"], alsfrs=t["alsfrs"].assign(assessor="")
    )
    a, b = lmm_counterfactual(clinician), lmm_counterfactual(clinician, adjust_raters=True)
    assert a.estimate == b.estimate and a.se == b.se and b.details["raters_held"] == []
    held = lmm_counterfactual(t, adjust_raters=True)
    assert held.details["raters_held"] == ["phone"] and held.estimate != lmm_counterfactual(t).estimate
