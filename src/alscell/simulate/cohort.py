"""``simulate_cohort``: virtual ALS patients as canonical tables plus the truth behind them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from alscell.domain.adverse_events import AE_TERMS, RELATEDNESS
from alscell.domain.measures import MEASURES
from alscell.domain.time import DAYS_PER_MONTH as DPM
from alscell.domain.vocabulary import CELL_SOURCES, DONORS, ROUTES
from alscell.io.columns import TABLES
from alscell.io.tables import Tables
from alscell.io.writer import write_folder
from alscell.simulate import engine
from alscell.simulate.config import DEFAULT_DOSE, CohortConfig
from alscell.simulate.engine import BLOCK_SIZE, EVENT_CODES, SITE_CODES
from alscell.simulate.parts import Coded as _Coded
from alscell.simulate.parts import Day as _Day
from alscell.simulate.parts import Int as _Int
from alscell.simulate.parts import concat as _concat
from alscell.simulate.parts import frame as _frame
from alscell.simulate.parts import length as _length
from alscell.simulate.parts import write_folder as _write_blocks

_NEVER = np.iinfo(np.int64).max // 4
_EPOCH = np.datetime64("1970-01-01", "D")
_ESCORIAL = ("definite", "probable", "probable_lab", "possible")
_ESCORIAL_CDF = np.array([0.30, 0.70, 0.85, 1.0])  # approximate shares at enrolment


class ConfigError(ValueError):
    """A configuration that cannot be simulated; ``problems`` holds one sentence per reason."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


class SimulatedCohort:
    """Canonical tables (``tables``: file stem → DataFrame), the per-patient ``truth``, the config and seed.

    The simulator keeps its tables as compact numpy pieces per block of patients (alscell.simulate.parts):
    ``tables`` turns them into pandas frames the first time it is read, and :meth:`write` writes the folder
    straight from the pieces (the same bytes as ``io.writer.write_folder(tables)``, in a fraction of the
    time and memory), so ``simulate_cohort(config, seed).write(out)`` never builds the frames at all.
    """

    def __init__(
        self,
        tables: Tables | None = None,
        truth: pd.DataFrame | None = None,
        config: CohortConfig | None = None,
        seed: int = 0,
        *,
        blocks: list[dict] | None = None,
    ):
        if tables is None and blocks is None:
            raise TypeError("SimulatedCohort needs tables")
        self._tables = tables
        self._blocks = None if tables is not None else blocks  # table → column → piece, per block
        self.truth = truth if truth is not None else pd.DataFrame()
        self.config = config if config is not None else CohortConfig()
        self.seed = seed

    @property
    def tables(self) -> Tables:
        if self._tables is None:
            assert self._blocks is not None
            # Columns the simulator does not model (e.g. ``site``, ``lot``) are added empty by ``Tables``.
            blocks = self._blocks
            self._tables = Tables.from_frames(
                {
                    name: _frame(
                        {col: _concat([b[name][col] for b in blocks]) for col in TABLES[name] if col in blocks[0][name]}
                    )
                    for name in TABLES
                }
            )
        return self._tables

    @tables.setter
    def tables(self, value: Tables) -> None:
        self._tables, self._blocks = value, None

    def __repr__(self) -> str:
        return f"SimulatedCohort({self.summary()})"

    def n_rows(self, name: str) -> int:
        """Rows of table ``name`` (without building the tables)."""
        if self._blocks is None:
            return len(self.tables[name])
        total = 0
        for block in self._blocks:
            pieces = block.get(name) or {}
            total += _length(next(iter(pieces.values()))) if pieces else 0
        return total

    def write(self, out_dir: str | Path, truth: bool | str | Path = False) -> Path:
        """Write the canonical folder; ``truth=True`` also writes ``<out_dir>/../<name>_truth.csv`` (outside the
        folder, which must stay importable) or to the given path."""
        if self._blocks is not None:
            out = _write_blocks(self._blocks, out_dir)
        else:
            out = write_folder(self.tables, out_dir)
        if truth:
            path = Path(truth) if not isinstance(truth, bool) else out.parent / f"{out.name}_truth.csv"
            from alscell.io.writer import neutralise_formulas

            text_cols = [c for c in self.truth.columns if self.truth[c].dtype == object]
            safe = self.truth.assign(**{c: neutralise_formulas(self.truth[c]) for c in text_cols})
            safe.to_csv(path, index=False, lineterminator="\n")
        return out

    def summary(self) -> str:
        n = self.n_rows
        n_treated = int(self.truth["treated"].sum()) if "treated" in self.truth else 0
        return (
            f"{n('patients')} patients ({n_treated} treated), {n('alsfrs')} ALSFRS-R visits, "
            f"{n('measurements')} measurements, {n('treatments')} administrations, "
            f"{n('adverse_events')} adverse events, {n('events')} events; "
            f"design {self.config.design}, effect {self.config.effect:g} points/month, seed {self.seed}"
        )


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.strings.add(prefix, np.strings.zfill(numbers.astype(np.int64).astype(str), width)).astype(object)


def _vocab(values) -> np.ndarray:
    return np.array(list(values), dtype=object)


def _obj(vocab, codes) -> _Coded:
    return _Coded(np.asarray(codes), _vocab(vocab))


def _block_tables(cfg: CohortConfig, seed: int, block: int, first: int, n: int, pid_all: np.ndarray):
    b = engine.simulate_block(cfg, seed, block, n)
    gidx = np.arange(first, first + n, dtype=np.int32 if len(pid_all) < 2**31 else np.int64)  # → pid_all
    pid = pid_all[first : first + n]
    P = lambda rows: _Coded(gidx[rows], pid_all)  # noqa: E731
    start = np.datetime64(cfg.start_date, "D").astype(np.int64)
    enrol = start + np.round(b["u_accrual"] * cfg.accrual_months * DPM).astype(np.int64)
    onset = enrol - b["base_day"]  # absolute day number of symptom onset

    # ---------------------------------------------------------------- patients
    onset_year = (_EPOCH + onset.astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64) + 1970
    if cfg.design == "single_arm":
        cohort = _Coded(b["arm"].astype(np.int64), _vocab(["external_control", "trial"]))
    else:
        cohort = _Coded(np.zeros(n, np.int64), _vocab([cfg.design]))
    gen_code = np.where(b["u_gen"] < 0.07, 0, np.where(b["u_gen"] < 0.09, 1, 2))
    patients = {
        "patient_id": P(np.arange(n)),
        "sex": _obj(["F", "M"], b["male"].astype(np.int64)),
        "birth_year": _Int(onset_year - np.floor(b["age"]).astype(np.int64)),
        "onset_date": _Day(onset),
        "diagnosis_date": _Day(onset + b["delay_day"]),
        "onset_site": _obj(SITE_CODES, b["site"]),
        "el_escorial": _obj(_ESCORIAL, np.searchsorted(_ESCORIAL_CDF, b["u_escorial"], side="right").clip(0, 3)),
        "riluzole": b["u_rilu"] < 0.8,
        "edaravone": b["u_edara"] < 0.1,
        "genetics": _obj(["C9orf72", "SOD1", None], gen_code),
        "cohort": cohort,
    }

    # ---------------------------------------------------------------- ALSFRS-R
    items = engine.item_matrix(b["raw"], b["vday"], b["niv_day"], b["trach_day"])
    att = b["attended"]
    prow, vcol = np.nonzero(att)
    vd = b["vday"][prow, vcol]
    it = items[prow, vcol]
    gastro = vd >= b["gastro_day"][prow]
    alsfrs = {"patient_id": P(prow), "date": _Day(onset[prow] + vd)}
    for i, q in enumerate(("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12")):
        if q == "q5":
            alsfrs["q5a"] = _Int(it[:, i], gastro)
            alsfrs["q5b"] = _Int(it[:, i], ~gastro)
        else:
            alsfrs[q] = _Int(it[:, i])

    # ---------------------------------------------------------------- measurements
    slots = b["slots"]
    is_bio = np.array([s.specimen is not None for s in slots])
    vals = b["values"]
    mmask = att[:, :, None] & (~is_bio[None, None, :] | b["bio_visit"][None, :, None]) & np.isfinite(vals)
    mp, mv, ms = np.nonzero(mmask)
    ms = ms.astype(np.int16)
    measurements = {
        "patient_id": P(mp),
        "date": _Day(onset[mp] + b["vday"][mp, mv]),
        "measure": _obj([s.measure for s in slots], ms),
        "value": vals[mp, mv, ms],
        "unit": _obj([MEASURES[s.measure].unit for s in slots], ms),
        "side": _obj([s.side for s in slots], ms),
        "muscle": _obj([s.muscle for s in slots], ms),
        "specimen": _obj([s.specimen for s in slots], ms),
    }

    # ---------------------------------------------------------------- events
    end = b["end_day"]
    ev_day = np.stack(
        [b["gastro_day"], b["niv_day"], b["trach_day"], b["death_day"], b["dropout_day"], b["dropout_day"]], axis=1
    )
    ok = np.zeros_like(ev_day, dtype=bool)
    ok[:, :3] = ev_day[:, :3] < end[:, None]
    ok[:, 3] = (b["death_day"] <= b["fu_end_day"]) & (b["death_day"] < b["dropout_day"])
    has_drop = b["dropout_day"] < _NEVER
    ok[:, 4] = has_drop & (b["dropout_kind"] == 4)
    ok[:, 5] = has_drop & (b["dropout_kind"] == 5)
    ep, ek = np.nonzero(ok)
    order = np.lexsort((ek, ev_day[ep, ek], ep))
    ep, ek = ep[order], ek[order]
    events = {"patient_id": P(ep), "date": _Day(onset[ep] + ev_day[ep, ek]), "event": _obj(EVENT_CODES, ek)}

    # ---------------------------------------------------------------- treatments
    deliv = b["delivered"]
    tp, tk = np.nonzero(deliv)
    cycle = np.cumsum(deliv, axis=1)[tp, tk]
    tid = np.strings.add(np.strings.add(pid[tp].astype(str), "-T"), cycle.astype(str)).astype(object)
    route = b["route"][tp]
    dose_med = np.array([DEFAULT_DOSE[r] for r in ROUTES])[route]
    dose = np.round(dose_med * np.exp(0.2 * b["dose_z"][tp]) / 1e6) * 1e6
    is_im = route == ROUTES.index("intramuscular")
    n_combo = len(cfg.im_targets)
    if cfg.design in ("rct", "delayed_start"):
        blinded = _obj(["placebo", "active"], b["active"][tp, tk].astype(np.int64))
    else:
        blinded = _obj([None], np.zeros(len(tp), np.int64))
    treatments = {
        "treatment_id": tid,
        "patient_id": P(tp),
        "date": _Day(onset[tp] + b["adm"][tp, tk]),
        "cycle": _Int(cycle),
        "cell_source": _obj(CELL_SOURCES, b["source"][tp]),
        "donor": _obj(DONORS, b["donor"][tp]),
        "route": _obj(ROUTES, route),
        "dose_cells": dose.astype(float),
        "target_muscles": _obj([*list(cfg.im_targets), None], np.where(is_im, b["target_combo"][tp], n_combo)),
        "product": _obj([None], np.zeros(len(tp), np.int64)),
        "blinded_arm": blinded,
    }

    # ---------------------------------------------------------------- adverse events
    adverse = _adverse_events(cfg, b, pid, gidx, pid_all, onset, tp, tk, tid)

    # ---------------------------------------------------------------- truth
    from alscell.simulate import natural as nat  # local: keeps the module namespace small

    first_act = np.where(b["active_del"], b["adm"], _NEVER).min(axis=1)
    treated = b["active_del"].any(axis=1)
    t0m = np.where(treated, first_act / DPM, np.nan)
    base_m = b["base_day"] / DPM
    f_base = nat.latent_total(base_m, b["center"], b["dx"], b["norm"])
    arm_names = {
        "registry": ("untreated", "treated"),
        "single_arm": ("external_control", "treated"),
        "rct": ("placebo", "active"),
        "delayed_start": ("delayed", "early"),
    }[cfg.design]
    end_reason = np.select([ok[:, 3], ok[:, 4], ok[:, 5]], [1, 2, 3], 0)
    got_any = b["delivered"].any(axis=1)

    def months(days):
        return np.where(days < _NEVER, days / DPM, np.nan)

    truth = {
        "patient_id": P(np.arange(n)),
        "arm": _obj(arm_names, b["arm"].astype(np.int64)),
        "treated": treated,
        "first_treatment_date": _Day(onset + np.where(treated, first_act, 0), ~treated),
        "n_active_administrations": b["active_del"].sum(axis=1),
        "n_placebo_administrations": (b["delivered"] & ~b["active"]).sum(axis=1),
        "route": _obj([*list(ROUTES), None], np.where(got_any, b["route"], len(ROUTES))),
        "cell_source": _obj([*list(CELL_SOURCES), None], np.where(got_any, b["source"], len(CELL_SOURCES))),
        "donor": _obj([*list(DONORS), None], np.where(got_any, b["donor"], len(DONORS))),
        "onset_site": _obj(SITE_CODES, b["site"]),
        "rate": b["rate"],
        "shape": b["shape"],
        "d50": b["d50"],
        "dx": b["dx"],
        "center": b["center"],
        "diagnostic_delay_months": b["delay_day"] / DPM,
        "baseline_months": base_m,
        "latent_alsfrs_baseline": f_base,
        "true_dfrs_baseline": (48.0 - f_base) / base_m,
        "natural_slope_baseline": -nat.latent_decline_rate(base_m, b["center"], b["dx"], b["norm"]),
        "treatment_months": t0m,
        "natural_slope_at_treatment": np.where(
            treated, -nat.latent_decline_rate(np.nan_to_num(t0m), b["center"], b["dx"], b["norm"]), np.nan
        ),
        "effect_applied": np.where(treated, b["e_prog"], 0.0),
        "effect_base": np.where(treated, b["e_base"], 0.0),
        "selection_z": b["sel_z"],
        "natural_terminal_months": b["t_nat"][:, 2],
        "terminal_months": np.where(np.isfinite(b["t_cross"][:, 2]), b["t_cross"][:, 2], np.nan),
        "death_months": months(b["death_day"]),
        "tracheostomy_months": months(b["trach_day"]),
        "gastrostomy_months": months(b["gastro_day"]),
        "niv_months": months(b["niv_day"]),
        "end_months": np.minimum(b["end_day"], b["fu_end_day"]) / DPM,
        "end_reason": _obj(["end_of_study", "death", "withdrawal", "lost_to_follow_up"], end_reason),
        "n_visits": att.sum(axis=1),
    }
    return dict(
        patients=patients,
        treatments=treatments,
        alsfrs=alsfrs,
        measurements=measurements,
        adverse_events=adverse,
        events=events,
    ), truth


def _adverse_events(cfg, b, pid, gidx, pid_all, onset, tp, tk, tid):
    rng = b["rng_ae"]
    rates = cfg.ae_rates
    A, R = len(tp), len(rates)
    u = rng.random((A, R))
    u_on, u_dur, u_grade, u_ser = (rng.random((A, R)) for _ in range(4))
    route = b["route"][tp]
    donor = b["donor"][tp]
    active = b["active"][tp, tk]
    r_route = np.array([ROUTES.index(r.route) for r in rates], dtype=np.int64)
    p_auto = np.array([r.rate_autologous for r in rates])
    p_allo = np.array([r.rate_allogeneic for r in rates])
    sham = np.array([r.sham_factor for r in rates])
    p = np.where(donor[:, None] == 0, p_auto[None, :], p_allo[None, :])
    p = np.where(active[:, None], p, p * sham[None, :]) * cfg.ae_rate_scale
    p = np.where(route[:, None] == r_route[None, :], np.clip(p, 0.0, 1.0), 0.0)
    ai, ri = np.nonzero(u < p)
    lo = np.array([r.onset_days[0] for r in rates], dtype=np.int64)[ri]
    hi = np.array([r.onset_days[1] for r in rates], dtype=np.int64)[ri]
    on_day = b["adm"][tp[ai], tk[ai]] + lo + np.floor(u_on[ai, ri] * (hi - lo + 1)).astype(np.int64)
    med = np.array([r.median_days for r in rates])[ri]
    dur = np.ceil(med * np.exp(0.6 * 3.0 * (u_dur[ai, ri] - 0.5))).astype(np.int64)
    gp = np.array([r.grade_probs for r in rates], dtype=float)
    gcdf = np.cumsum(gp / gp.sum(axis=1, keepdims=True), axis=1)
    grade = 1 + (u_grade[ai, ri][:, None] >= gcdf[ri]).sum(axis=1).clip(0, 3)
    serious = (grade >= 3) | (u_ser[ai, ri] < np.array([r.serious_prob for r in rates])[ri])
    terms_v = sorted(set(AE_TERMS))
    term_code = {t: i for i, t in enumerate(terms_v)}
    terms = np.array([term_code[r.term] for r in rates], dtype=np.int64)[ri]
    rel_v = list(RELATEDNESS)
    related = np.array([rel_v.index(r.relatedness) for r in rates], dtype=np.int64)[ri]
    a_pat = tp[ai]
    a_tid = tid[ai]

    # Background events, treated and untreated alike.
    n = len(pid)
    start = b["base_day"]
    stop = np.minimum(b["end_day"], b["fu_end_day"] + 1)
    months = np.maximum(stop - start, 0) / DPM
    bg = []
    for term in sorted(cfg.background_ae_per_month):  # fixed order: stream does not depend on dict order
        lam = cfg.background_ae_per_month[term]
        counts = rng.poisson(lam * months) if lam > 0 else np.zeros(n, np.int64)
        pp = np.repeat(np.arange(n), counts)
        uu = rng.random((len(pp), 3))
        bg.append(
            (
                pp,
                start[pp] + np.floor(uu[:, 0] * (stop[pp] - start[pp])).astype(np.int64),
                np.full(len(pp), term_code[term], np.int64),
                1 + (uu[:, 1][:, None] >= np.array([0.6, 0.9, 0.98])[None, :]).sum(axis=1),
                np.ceil(7.0 * np.exp(2.4 * (uu[:, 2] - 0.5))).astype(np.int64),
            )
        )
    empty = np.zeros(0, np.int64)
    bp, bday, bterm, bgrade, bdur = (np.concatenate([x[i] for x in bg]) if bg else empty for i in range(5))
    pat = np.concatenate([a_pat, bp])
    day = np.concatenate([on_day, bday])
    dur = np.concatenate([dur, bdur])
    grade = np.concatenate([grade, bgrade])
    serious = np.concatenate([serious, bgrade >= 3])
    terms = np.concatenate([terms, bterm])
    related = np.concatenate([related, np.full(len(bp), rel_v.index("unrelated"), np.int64)])
    t_ids = np.concatenate([a_tid, np.full(len(bp), None, dtype=object)])
    # Only what happened while the patient was followed; resolution unknown after the end of follow-up.
    keep = day < stop[pat]
    cols = [x[keep] for x in (pat, day, dur, grade, serious, terms, related, t_ids)]
    order = np.lexsort((cols[1], cols[0]))
    pat, day, dur, grade, serious, terms, related, t_ids = (x[order] for x in cols)
    first = np.searchsorted(pat, pat, side="left")
    seq = np.arange(len(pat)) - first + 1
    resolved = day + dur
    res_ok = resolved < stop[pat]
    ae_id = np.strings.add(np.strings.add(pid[pat].astype(str), "-AE"), seq.astype(str)).astype(object)
    return {
        "ae_id": ae_id,
        "patient_id": _Coded(gidx[pat], pid_all),
        "onset_date": _Day(onset[pat] + day),
        "resolved_date": _Day(onset[pat] + resolved, ~res_ok),
        "term": _obj(terms_v, terms),
        "grade": _Int(grade),
        "serious": serious.astype(bool),
        "treatment_id": t_ids,
        "relatedness": _obj(rel_v, related),
    }


def simulate_cohort(
    config: CohortConfig | None = None,
    seed: int = 0,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> SimulatedCohort:
    """Simulate a cohort.  Reproducible bit for bit for a given (config, seed), whatever ``workers``.

    Patients are simulated in blocks of ``BLOCK_SIZE`` (a constant: part of the reproducibility contract),
    each with its own random stream ``SeedSequence(seed, spawn_key=(block,))``.
    ``progress(done_patients, total)`` is called after each block.  ``workers > 1`` runs blocks on threads.
    """
    cfg = config or CohortConfig()
    problems = cfg.problems()
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        problems.append("seed must be a non-negative whole number.")
    if problems:
        raise ConfigError(problems)
    seed = int(seed)
    N = cfg.n_patients
    pid_all = _ids(cfg.id_prefix, np.arange(1, N + 1), max(6, len(str(N))))
    jobs = [(b, s, min(BLOCK_SIZE, N - s)) for b, s in enumerate(range(0, N, BLOCK_SIZE))]

    def run(job):
        b, s, n = job
        return _block_tables(cfg, seed, b, s, n, pid_all)

    results = []
    done = 0
    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for job, res in zip(jobs, pool.map(run, jobs), strict=False):
                results.append(res)
                done += job[2]
                if progress:
                    progress(done, N)
    else:
        for job in jobs:
            results.append(run(job))
            done += job[2]
            if progress:
                progress(done, N)
    truth = _frame({col: _concat([r[1][col] for r in results]) for col in results[0][1]})
    return SimulatedCohort(truth=truth, config=cfg, seed=seed, blocks=[r[0] for r in results])


__all__ = ["ConfigError", "SimulatedCohort", "simulate_cohort"]
