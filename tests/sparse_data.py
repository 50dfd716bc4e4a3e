"""Valid canonical folders that our simulator would never write: hand-built, sparse, minimal.

Real registries leave optional columns out and optional values empty (both allowed by
spec/data-format.md).  These builders write such folders from a small independent generator (straight
declines with noise, a few treatments, not ``alscell.simulate``) so every command can be tried on them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from alscell.io.columns import REQUIRED, TABLES

ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")


def _day(base: np.datetime64, days: float) -> str:
    return str(base + np.timedelta64(round(days), "D"))


def full_rows(n_patients: int = 8, seed: int = 11) -> dict[str, list[dict]]:
    """Every file with every column, from a plain linear-decline generator."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[dict]] = {k: [] for k in TABLES}
    for i in range(n_patients):
        pid = f"P{i:03d}"
        onset = np.datetime64("2020-01-15") + np.timedelta64(int(rng.integers(0, 400)), "D")
        rows["patients"].append(
            {
                "patient_id": pid,
                "sex": "FM"[i % 2],
                "birth_year": str(1950 + i),
                "onset_date": str(onset),
                "diagnosis_date": _day(onset, 200),
                "onset_site": ("limb", "bulbar")[i % 3 == 0],
                "el_escorial": "probable",
                "riluzole": ("true", "false")[i % 2],
                "edaravone": "false",
                "genetics": "C9orf72" if i == 1 else "",
                "cohort": "clinic",
            }
        )
        treated = i % 2 == 0
        t0 = 330.0
        if treated:
            im = i % 4 == 0
            for c in (1, 2):
                rows["treatments"].append(
                    {
                        "treatment_id": f"{pid}-T{c}",
                        "patient_id": pid,
                        "date": _day(onset, t0 + 60 * (c - 1)),
                        "cycle": str(c),
                        "cell_source": "bone_marrow" if im else "adipose",
                        "donor": "autologous",
                        "route": "intramuscular" if im else "intrathecal",
                        "dose_cells": "1.0e8",
                        "target_muscles": "deltoid;biceps" if im else "",
                        "product": "X",
                        "blinded_arm": "",
                    }
                )
            rows["adverse_events"].append(
                {
                    "ae_id": f"{pid}-AE1",
                    "patient_id": pid,
                    "onset_date": _day(onset, t0 + 2),
                    "resolved_date": _day(onset, t0 + 4),
                    "term": "headache",
                    "grade": "1",
                    "serious": "false",
                    "treatment_id": f"{pid}-T1",
                    "relatedness": "possible",
                }
            )
        slope = rng.uniform(0.02, 0.05)  # item points per day, spread over items
        first = 150 + 30 * (i % 5)
        for v, day in enumerate(np.arange(first, first + 510, 75.0)):
            level = 4 - slope * (day - 150) / 12 * rng.uniform(0.8, 1.2, len(ITEMS))
            q = {it: str(int(np.clip(np.round(x), 0, 4))) for it, x in zip(ITEMS, level, strict=True)}
            rows["alsfrs"].append({"patient_id": pid, "date": _day(onset, day), **q, "q5b": ""})
            rows["measurements"].append(
                {
                    "patient_id": pid,
                    "date": _day(onset, day),
                    "measure": "fvc_pct_pred",
                    "value": f"{max(20.0, 95 - 0.08 * day + rng.normal(0, 3)):.1f}",
                    "unit": "%",
                    "side": "",
                    "muscle": "",
                    "specimen": "",
                }
            )
            rows["measurements"].append(
                {
                    "patient_id": pid,
                    "date": _day(onset, day),
                    "measure": "hhd_kg",
                    "value": f"{max(1.0, 20 - 0.01 * day + rng.normal(0, 1)):.1f}",
                    "unit": "kg",
                    "side": "left",
                    "muscle": "deltoid",
                    "specimen": "",
                }
            )
            if v == 2:
                rows["measurements"].append(
                    {
                        "patient_id": pid,
                        "date": _day(onset, day),
                        "measure": "nfl",
                        "value": "60",
                        "unit": "pg/mL",
                        "side": "",
                        "muscle": "",
                        "specimen": "serum",
                    }
                )
        if i == 3:
            rows["events"].append({"patient_id": pid, "date": _day(onset, 800), "event": "death"})
        if i == 2:
            rows["events"].append({"patient_id": pid, "date": _day(onset, 500), "event": "gastrostomy"})
    return rows


def write(folder: Path, rows: dict[str, list[dict]], columns: dict[str, tuple[str, ...]] | None = None) -> Path:
    """Write ``rows`` (only the tables given) with the given columns per table (default: all canonical)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in rows.items():
        cols = (columns or {}).get(name, TABLES[name])
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(cols)
            for r in table:
                w.writerow([r.get(c, "") for c in cols])
    return folder


def minimal(folder: Path) -> Path:
    """Only the required columns, and only patients.csv + alsfrs.csv."""
    rows = full_rows()
    cols = {"patients": REQUIRED["patients"], "alsfrs": ("patient_id", "date", *ITEMS)}
    return write(folder, {k: rows[k] for k in ("patients", "alsfrs")}, cols)


def without(folder: Path, absent: str) -> Path:
    """Every file but ``absent``, every column; treatments keep required columns only."""
    rows = full_rows()
    keep = {k: v for k, v in rows.items() if k != absent}
    if absent == "treatments":  # AEs may not point at administrations that are not there
        for r in keep.get("adverse_events", []):
            r["treatment_id"] = ""
    return write(folder, keep)


def optional_empty(folder: Path) -> Path:
    """Every file and column present, every optional value empty."""
    rows = full_rows()
    for name, table in rows.items():
        for r in table:
            for c in TABLES[name]:
                if c not in REQUIRED[name] and not (name == "alsfrs" and c in ITEMS):
                    if name == "treatments" and c == "target_muscles" and r["route"] == "intramuscular":
                        continue  # required iff intramuscular
                    if name == "measurements" and r.get(c):
                        continue  # side, muscle and specimen are required for the measures that have them
                    r[c] = ""
    return write(folder, rows)


def one_patient(folder: Path) -> Path:
    rows = full_rows(n_patients=1)
    return write(folder, rows)


FOLDERS = {
    "minimal": minimal,
    "no_treatments": lambda f: without(f, "treatments"),
    "no_alsfrs": lambda f: without(f, "alsfrs"),
    "no_measurements": lambda f: without(f, "measurements"),
    "no_adverse_events": lambda f: without(f, "adverse_events"),
    "no_events": lambda f: without(f, "events"),
    "optional_empty": optional_empty,
    "one_patient": one_patient,
}
