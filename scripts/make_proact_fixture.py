"""Write a small synthetic folder in exactly PRO-ACT's shape (the real data cannot be shipped).

    python scripts/make_proact_fixture.py [OUT_DIR] [--subjects N] [--seed S]

Default: ``tests/io/fixtures/proact`` with 24 subjects, seed 2026 — the committed test fixture
(tests/io/test_proact.py checks that this script still writes exactly those files).  File and column names
follow PRO-ACT's data dictionary (docs/proact.md); every time is a ``*_Delta`` in days from trial day 0.

The folder carries the quirks a real download has: original-ALSFRS rows (``Q10_Respiratory`` without
``R_1``-``R_3``), FVC in % predicted, in litres with ``Subject_Normal``, in litres without it, and with the
"Percent Predicted" unit (percentages in the ``Subject_Liters`` columns), several trials per visit and two
rows on one day, missing deltas, repeated ALSHISTORY rows, subjects without ALSFRS, with only an "Other"
site or no onset, deaths with and without a day, both Q5a and Q5b scored, a repeated ALSFRS row and a
wrong ``ALSFRS_R_Total``.

:func:`make` also returns the truth the files were made from (days, items, FVC %, …), which the tests
compare field by field with what ``alscell import --format proact`` stores.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

HEADERS = {
    "PROACT_DEMOGRAPHICS.csv": [
        "subject_id", "Demographics_Delta", "Age", "Date_of_Birth", "Ethnicity", "Race_Americ_Indian_Alaska_Native",
        "Race_Asian", "Race_Black_African_American", "Race_Hawaiian_Pacific_Islander", "Race_Unknown",
        "Race_Caucasian", "Race_Other", "Race_Other_Specify", "Sex",
    ],
    "PROACT_ALSHISTORY.csv": [
        "subject_id", "Site_of_Onset___Bulbar", "Site_of_Onset___Limb", "Site_of_Onset___Limb_and_Bulbar",
        "Site_of_Onset___Other", "Site_of_Onset___Other_Specify", "Site_of_Onset___Spine",
        "Subject_ALS_History_Delta", "Disease_Duration", "Symptom", "Symptom_Other_Specify", "Location",
        "Location_Other_Specify", "Site_of_Onset", "Onset_Delta", "Diagnosis_Delta",
    ],
    "PROACT_ALSFRS.csv": [
        "subject_id", "Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting",
        "Q5a_Cutting_without_Gastrostomy", "Q5b_Cutting_with_Gastrostomy", "Q6_Dressing_and_Hygiene",
        "Q7_Turning_in_Bed", "Q8_Walking", "Q9_Climbing_Stairs", "Q10_Respiratory", "R_1_Dyspnea",
        "R_2_Orthopnea", "R_3_Respiratory_Insufficiency", "ALSFRS_Delta", "ALSFRS_Total", "ALSFRS_R_Total",
        "Mode_of_Administration", "ALSFRS_Responded_By",
    ],
    "PROACT_FVC.csv": [
        "subject_id", "Forced_Vital_Capacity_Delta", "Subject_Liters_Trial_1", "pct_of_Normal_Trial_1",
        "Subject_Liters_Trial_2", "pct_of_Normal_Trial_2", "Subject_Liters_Trial_3", "pct_of_Normal_Trial_3",
        "Forced_Vital_Capacity_Units", "Subject_Normal",
    ],
    "PROACT_DEATHDATA.csv": ["subject_id", "Subject_Died", "Death_Days"],
    "PROACT_RILUZOLE.csv": ["subject_id", "Subject_used_Riluzole", "Riluzole_use_Delta"],
    "PROACT_TREATMENT.csv": ["subject_id", "Study_Arm", "Treatment_Group_Delta"],
}  # fmt: skip
ITEMS = [
    "Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting", "Q5a_Cutting_without_Gastrostomy",
    "Q5b_Cutting_with_Gastrostomy", "Q6_Dressing_and_Hygiene", "Q7_Turning_in_Bed", "Q8_Walking",
    "Q9_Climbing_Stairs", "R_1_Dyspnea", "R_2_Orthopnea", "R_3_Respiratory_Insufficiency",
]  # fmt: skip
CANONICAL = ["q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
# Mean loss per item per month of a typical course (a total decline of about 0.9 points/month).
ITEM_RATE = np.array([0.07, 0.05, 0.06, 0.09, 0.09, 0.09, 0.09, 0.08, 0.1, 0.1, 0.06, 0.05, 0.03])


def _num(v: float | int | None, decimals: int | None = None) -> str:
    if v is None:
        return ""
    return str(int(v)) if decimals is None else f"{v:.{decimals}f}"


def make(n_subjects: int = 24, seed: int = 2026) -> tuple[dict[str, list[dict[str, str]]], dict]:
    """PRO-ACT rows by file name, and the truth they encode (see the module docstring)."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in HEADERS}
    truth: dict = {"patients": {}, "dropped": {}, "alsfrs": {}, "capacity": {}, "deaths": {}}
    for i in range(n_subjects):
        sid = str(100_000 + 37 * i + int(rng.integers(0, 30)))
        onset = -int(rng.integers(150, 900))
        diagnosis = onset + int(rng.integers(60, 140)) if i % 5 != 1 else None
        kind = ("limb", "bulbar", "spine", "limb_and_bulbar", "flag_bulbar", "flag_limb")[i % 6]
        site = {"spine": "limb", "limb_and_bulbar": "generalized", "flag_bulbar": "bulbar", "flag_limb": "limb"}.get(
            kind, kind
        )
        if i == 2:
            kind, site = "other", None  # only 'Onset: Other': left out
        if i == 3:
            onset = None  # no Onset_Delta: left out
        sex = "U" if i == 4 else ("F" if rng.random() < 0.4 else "M")
        age = int(rng.integers(38, 78))
        dob = -round(age * 365.25) - int(rng.integers(0, 365)) if i % 2 == 0 else None
        arm = "Placebo" if i % 3 == 0 else "Active"
        riluzole = None if i % 7 == 6 else bool(rng.random() < 0.7)
        # --- demographics
        rows["PROACT_DEMOGRAPHICS.csv"].append(
            {
                "subject_id": sid,
                "Demographics_Delta": "0",
                "Age": str(age),
                "Date_of_Birth": _num(dob),
                "Race_Caucasian": "1",
                "Sex": {"F": "Female", "M": "Male", "U": ""}[sex],
            }
        )
        # --- ALS history: a history row and symptom rows without the onset (as PRO-ACT repeats the form)
        hist = {"subject_id": sid, "Subject_ALS_History_Delta": "0", "Onset_Delta": _num(onset),
                "Diagnosis_Delta": _num(diagnosis)}  # fmt: skip
        text = {"limb": "Onset: Limb", "bulbar": "Onset: Bulbar", "spine": "Onset: Spine",
                "limb_and_bulbar": "Onset: Limb and Bulbar", "other": "Onset: Other"}  # fmt: skip
        if kind in text:
            hist["Site_of_Onset"] = text[kind]
        elif kind == "flag_bulbar":
            hist["Site_of_Onset___Bulbar"] = "1"
        else:
            hist["Site_of_Onset___Limb"] = "1"
        rows["PROACT_ALSHISTORY.csv"].append(hist)
        rows["PROACT_ALSHISTORY.csv"].append(
            {"subject_id": sid, "Subject_ALS_History_Delta": "0", "Symptom": "WEAKNESS", "Location": "HAND"}
        )
        keep = onset is not None and site is not None
        if keep:
            truth["patients"][sid] = {
                "sex": sex,
                "onset_day": onset,
                "diagnosis_day": diagnosis,
                "site": site,
                "age": age,
                "dob": dob,
                "riluzole": riluzole,
                "arm": arm,
            }
        else:
            truth["dropped"][sid] = "no site" if onset is not None else "no onset"
        if riluzole is not None:
            rows["PROACT_RILUZOLE.csv"].append(
                {"subject_id": sid, "Subject_used_Riluzole": "Yes" if riluzole else "No", "Riluzole_use_Delta": "0"}
            )
        rows["PROACT_TREATMENT.csv"].append({"subject_id": sid, "Study_Arm": arm, "Treatment_Group_Delta": "0"})
        # --- visits: monthly to quarterly for about a year; some subjects have no ALSFRS at all
        n_visits = 0 if i % 8 == 7 else int(rng.integers(3, 9))
        days = sorted({0, *(int(d) for d in rng.integers(20, 420, size=max(n_visits - 1, 0)))})[:n_visits]
        months_since = (np.array(days, dtype=float) - (onset or -300)) / 30.4375
        rate = ITEM_RATE * rng.lognormal(0.0, 0.4)
        original = i % 6 == 5  # an older trial: original ALSFRS with Q10_Respiratory
        gastrostomy_from = 2 if i == 8 else None
        for v, (day, m) in enumerate(zip(days, months_since, strict=True)):
            loss = rate * m + rng.normal(0, 0.35, size=13)
            score = np.clip(np.round(4 - loss), 0, 4).astype(int)
            q = dict(zip(CANONICAL, [int(s) for s in score], strict=True))
            gastro = gastrostomy_from is not None and v >= gastrostomy_from
            q["q5b" if gastro else "q5a"], q["q5a" if gastro else "q5b"] = q["q5a"], None
            both5 = i == 9 and v == 1
            row = {"subject_id": sid, "ALSFRS_Delta": str(day)}
            for col, item in zip(ITEMS, CANONICAL, strict=True):
                row[col] = _num(q[item]) if not (i == 10 and item == "q4") else _num(q[item], 1)  # '3.0' style
            if both5:
                row["Q5b_Cutting_with_Gastrostomy"] = row["Q5a_Cutting_without_Gastrostomy"]
            q10 = None
            if original:
                q10 = int(min(q["q10"], q["q11"]))
                row["Q10_Respiratory"] = str(q10)
                for col in ("R_1_Dyspnea", "R_2_Orthopnea", "R_3_Respiratory_Insufficiency"):
                    row[col] = ""
            values = [q[k] for k in CANONICAL if q[k] is not None]
            if original:
                row["ALSFRS_Total"] = str(sum(values[:9]) + q10)  # items 1-9 + Q10 (q5 counted once)
            else:
                row["ALSFRS_R_Total"] = str(sum(values) + (1 if i == 16 and v == 0 else 0))  # one wrong total
            rows["PROACT_ALSFRS.csv"].append(row)
            if i == 12 and v == 0:
                rows["PROACT_ALSFRS.csv"].append(dict(row))  # a re-entered identical form
            if keep:
                item = {k: q[k] for k in CANONICAL}
                if original:
                    item.update(q10=None, q11=None, q12=None)
                if both5:
                    item.update(q5a=None, q5b=None)
                truth["alsfrs"][(sid, day)] = {"items": item, "instrument": "ALSFRS" if original else "ALSFRS-R",
                                               "q10_respiratory": q10}  # fmt: skip
        if i == 13:
            rows["PROACT_ALSFRS.csv"].append({"subject_id": sid, "Q1_Speech": "4", "ALSFRS_Delta": ""})  # no day
        # --- FVC: every other visit, in one of PRO-ACT's shapes
        normal = round(float(rng.uniform(3.2, 5.2)), 2)
        for v, day in enumerate(days[::2]):
            pct_true = float(np.clip(95 - 2.2 * (day - (onset or -300)) / 30.4375 * rng.uniform(0.3, 0.7), 20, 120))
            trials = [pct_true - float(rng.uniform(0, 6)) for _ in range(3)]
            row = {"subject_id": sid, "Forced_Vital_Capacity_Delta": str(day)}
            shape = (i + v) % 4
            if shape == 0:  # % predicted and litres, three trials
                for k, p in enumerate(trials, start=1):
                    row[f"pct_of_Normal_Trial_{k}"] = f"{p:.0f}"
                    row[f"Subject_Liters_Trial_{k}"] = f"{p * normal / 100:.2f}"
                row["Forced_Vital_Capacity_Units"] = "Liters"
                row["Subject_Normal"] = f"{normal:.2f}"
                expected = max(float(f"{p:.0f}") for p in trials)
                how = "pct_of_Normal"
            elif shape == 1:  # litres and the predicted normal only
                for k, p in enumerate(trials[:2], start=1):
                    row[f"Subject_Liters_Trial_{k}"] = f"{p * normal / 100:.2f}"
                row["Forced_Vital_Capacity_Units"] = "Liters"
                row["Subject_Normal"] = f"{normal:.2f}"
                best = max(float(f"{p * normal / 100:.2f}") for p in trials[:2])
                expected = round(best / normal * 100, 1)
                how = "liters/Subject_Normal"
            elif shape == 2:  # 'Percent Predicted': the percentages sit in the Subject_Liters columns
                row["Subject_Liters_Trial_1"] = f"{trials[0]:.1f}"
                row["Forced_Vital_Capacity_Units"] = "Percent Predicted"
                expected = float(f"{trials[0]:.1f}")
                how = "Percent Predicted units"
            else:  # litres without a predicted normal: cannot become % predicted
                row["Subject_Liters_Trial_1"] = f"{trials[0] * normal / 100:.2f}"
                row["Forced_Vital_Capacity_Units"] = "Liters"
                expected, how = None, None
            rows["PROACT_FVC.csv"].append(row)
            if keep and expected is not None:
                truth["capacity"][(sid, day)] = {"value": expected, "source": how}
        if i == 14 and days:  # a second FVC row on the first day: more trials of that visit
            extra = {"subject_id": sid, "Forced_Vital_Capacity_Delta": str(days[0]), "pct_of_Normal_Trial_1": "99",
                     "Forced_Vital_Capacity_Units": "Liters"}  # fmt: skip
            rows["PROACT_FVC.csv"].append(extra)
            if keep:
                old = truth["capacity"].get((sid, days[0]))
                if old is None or old["value"] < 99:
                    truth["capacity"][(sid, days[0])] = {"value": 99.0, "source": "pct_of_Normal"}
        if i == 15:
            rows["PROACT_FVC.csv"].append({"subject_id": sid, "pct_of_Normal_Trial_1": "80"})  # no delta
        # --- deaths: after the last visit
        if i % 4 == 1:
            last = max(days) if days else 0
            if i == 5:
                rows["PROACT_DEATHDATA.csv"].append({"subject_id": sid, "Subject_Died": "Yes", "Death_Days": ""})
            else:
                death = last + int(rng.integers(20, 200))
                rows["PROACT_DEATHDATA.csv"].append(
                    {"subject_id": sid, "Subject_Died": "Yes", "Death_Days": str(death)}
                )
                if keep:
                    truth["deaths"][sid] = death
        elif i % 4 == 2:
            rows["PROACT_DEATHDATA.csv"].append({"subject_id": sid, "Subject_Died": "No", "Death_Days": ""})
    return rows, truth


def write(rows: dict[str, list[dict[str, str]]], out: Path) -> Path:
    """Write the rows as PRO-ACT CSV files (every header column present, empty cells for missing)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, header in HEADERS.items():
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=header, restval="", lineterminator="\n")
            w.writeheader()
            w.writerows(rows[name])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=str(Path(__file__).parents[1] / "tests/io/fixtures/proact"))
    parser.add_argument("--subjects", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rows, truth = make(args.subjects, args.seed)
    out = write(rows, Path(args.out))
    print(
        f"wrote {out}: {len(truth['patients'])} importable subjects ({len(truth['dropped'])} left out by design), "
        f"{len(truth['alsfrs'])} ALSFRS visits, {len(truth['capacity'])} FVC visits, {len(truth['deaths'])} deaths"
    )


if __name__ == "__main__":
    main()
