"""Calibration of the prognosis forecast's 80% prediction intervals at 3, 6 and 12 months (issue 16).

Two cohorts, patients split into fitting and held-out halves:

1. ``alscell.simulate`` registry cohort without any effect; held-out = untreated patients.
2. A PRO-ACT-shaped trial cohort generated here, independently of alscell.simulate: per-patient
   linear-quadratic declines, trial visit schedule (months 0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 18), noise and
   dropout.

Held-out patients contribute their visits up to a landmark (2nd visit for the registry, month 3 for the
trial cohort) to the fit (so they have their own random effects) and nothing after it; for each horizon h
the visit nearest landmark + h (within ±1.5 months) is compared with the 80% PI predicted at that visit's
time.  Coverage with MCSE = sqrt(p(1 − p)/n) (one visit per patient and horizon).

Writes docs/img/prognosis_calibration.png and the table between the calibration markers of
docs/prognosis.md.  Run: ``.venv/bin/python benchmarks/prognosis_calibration.py`` (about a minute).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from alscell.analysis.prognosis import HORIZONS, fit_outcome, outcome_frames

ROOT = Path(__file__).resolve().parents[1]
TOL = 1.5  # months


def coverage(fit_frame: pd.DataFrame, future: pd.DataFrame, landmark: pd.Series, outcome: str) -> list[dict]:
    """Fit on ``fit_frame``; check the 80% PI on the held-out ``future`` visits (patient_id, months, y)."""
    m = fit_outcome(fit_frame, outcome)
    fut = future.assign(lm=future["patient_id"].map(landmark))
    out = []
    for h in HORIZONS:
        f = fut.assign(gap=(fut["months"] - fut["lm"] - h).abs())
        f = f[f["gap"] <= TOL].sort_values("gap").drop_duplicates("patient_id")
        f = f[f["patient_id"].isin(m.labels)]
        lo = np.empty(len(f))
        hi = np.empty(len(f))
        for i, (pid, t) in enumerate(zip(f["patient_id"], f["months"], strict=True)):
            p = m.predict(pid, np.array([t]), alpha=0.2)
            lo[i], hi[i] = p["lower"].iloc[0], p["upper"].iloc[0]
        inside = (f["y"].to_numpy() >= lo) & (f["y"].to_numpy() <= hi)
        n = len(f)
        p_ = float(inside.mean()) if n else float("nan")
        out.append(
            {
                "months_ahead": h,
                "n": n,
                "coverage": p_,
                "mcse": float(np.sqrt(p_ * (1 - p_) / n)) if n else float("nan"),
            }
        )
    return out


def simulated(seed: int = 2016, n: int = 3000) -> dict[str, list[dict]]:
    from alscell.simulate import CohortConfig, simulate_cohort

    t = simulate_cohort(CohortConfig(n_patients=n, design="registry", effect=0.0), seed).tables
    rng = np.random.default_rng(seed)
    frames = outcome_frames(t)
    treated = set(t["treatments"]["patient_id"])
    untreated = np.array([p for p in t["patients"]["patient_id"] if p not in treated])
    test = set(rng.choice(untreated, size=len(untreated) // 2, replace=False))
    res = {}
    for outcome in ("total", "fvc_pct_pred"):
        f = frames[outcome].dropna(subset=["y", "months"]).sort_values(["patient_id", "months"])
        rank = f.groupby("patient_id").cumcount()
        is_test = f["patient_id"].isin(test)
        landmark = f[is_test & (rank == 1)].set_index("patient_id")["months"]
        keep = ~is_test | (rank <= 1)
        future = f[is_test & (rank > 1)]
        res[outcome] = coverage(f[keep], future, landmark, outcome)
    return res


def proact_shaped(seed: int = 35, n: int = 1600) -> pd.DataFrame:
    """Independent trial-like cohort: y = a + b·(t − t0) + c·(t − t0)², noise, dropout (months)."""
    rng = np.random.default_rng(seed)
    t0 = rng.lognormal(np.log(16), 0.45, n)  # months from onset at enrolment
    a = np.clip(rng.normal(38, 5, n), 20, 48)
    b = np.minimum(rng.normal(-0.99, 0.55, n), 0.1)  # PRO-ACT mean slope −0.99 points/month
    c = rng.normal(-0.012, 0.012, n)  # individual curvature
    sched = np.array([0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 18], dtype=float)
    s = sched[None, :] + rng.normal(0, 0.2, (n, len(sched))) * (sched[None, :] > 0)
    drop = rng.exponential(30, n)  # months to dropout
    y = a[:, None] + b[:, None] * s + c[:, None] * s**2 + rng.normal(0, 1.5, s.shape)
    keep = s <= drop[:, None]
    pid = np.repeat(np.arange(n), len(sched)).reshape(s.shape)
    df = pd.DataFrame(
        {
            "patient_id": [f"T{i:05d}" for i in pid[keep]],
            "months": (t0[:, None] + s)[keep],
            "since": s[keep],
            "y": np.clip(np.round(y[keep]), 0, 48),
        }
    )
    return df


def trial(seed: int = 35) -> list[dict]:
    df = proact_shaped(seed)
    rng = np.random.default_rng(seed + 1)
    ids = df["patient_id"].unique()
    test = set(rng.choice(ids, size=len(ids) // 2, replace=False))
    is_test = df["patient_id"].isin(test)
    keep = ~is_test | (df["since"] <= 3.5)
    landmark = df[is_test & (df["since"] <= 3.5)].groupby("patient_id")["months"].max()
    return coverage(df[keep], df[is_test & (df["since"] > 3.5)], landmark, "total")


def plot(results: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    w = 0.8 / len(results)
    for i, (name, rows) in enumerate(results.items()):
        x = np.arange(len(rows)) + (i - (len(results) - 1) / 2) * w
        ax.bar(x, [r["coverage"] for r in rows], w, yerr=[2 * r["mcse"] for r in rows], capsize=3, label=name)
    ax.axhline(0.8, color="k", lw=1, ls="--")
    ax.set_xticks(range(len(HORIZONS)), [f"{h:g} months" for h in HORIZONS])
    ax.set_ylim(0.5, 1.0)
    ax.set_ylabel("coverage of the 80% PI (± 2 MCSE)")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    sim = simulated()
    results = {
        "simulated registry, ALSFRS-R total": sim["total"],
        "simulated registry, FVC % pred": sim["fvc_pct_pred"],
        "PRO-ACT-shaped trial cohort, ALSFRS-R total": trial(),
    }
    plot(results, ROOT / "docs" / "img" / "prognosis_calibration.png")
    lines = ["| cohort | 3 months | 6 months | 12 months |", "|---|---|---|---|"]
    for name, rows in results.items():
        cells = " | ".join(f"{r['coverage']:.3f} ± {r['mcse']:.3f} (n = {r['n']})" for r in rows)
        lines.append(f"| {name} | {cells} |")
    table = "\n".join(lines)
    print(table)
    doc = ROOT / "docs" / "prognosis.md"
    if doc.exists():
        text = doc.read_text(encoding="utf-8")
        new = re.sub(
            r"(<!-- calibration:start -->\n).*?(<!-- calibration:end -->)",
            lambda m: m.group(1) + table + "\n" + m.group(2),
            text,
            flags=re.S,
        )
        doc.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
