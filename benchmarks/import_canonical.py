"""Import benchmark (issue 2): 1,000,000 ALSFRS-R rows (~80,000 patients) into SQLite.

Writes a synthetic canonical folder (valid rows, 12-13 visits per patient, written with numpy, not the
simulator, so the benchmark measures the importer alone), imports it with `alscell.store.importer`, and
prints rows/second.  Target (issue 17): under 10 s into SQLite (>= 100,000 rows/s), under 15 s into
PostgreSQL (COPY); pass ``--db`` with a PostgreSQL URL whose schema is empty.

    .venv/bin/python benchmarks/import_canonical.py [--rows 1000000] [--db sqlite:///...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alscell.store.engine import open_database
from alscell.store.importer import import_folder


def make_folder(folder: Path, rows: int, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    visits = rng.integers(12, 14, size=rows // 12 + 1)
    visits = visits[np.cumsum(visits) <= rows]
    n_pat = len(visits)
    visits[-1] += rows - visits.sum()
    ids = np.array([f"P{i:06d}" for i in range(n_pat)])
    onset = np.datetime64("2015-01-01") + rng.integers(0, 2000, n_pat).astype("timedelta64[D]")
    pd.DataFrame(
        {
            "patient_id": ids,
            "sex": rng.choice(["F", "M"], n_pat),
            "onset_date": onset,
            "onset_site": rng.choice(["limb", "bulbar"], n_pat),
        }
    ).to_csv(folder / "patients.csv", index=False)
    pid = np.repeat(np.arange(n_pat), visits)
    k = np.arange(len(pid)) - np.repeat(np.cumsum(visits) - visits, visits)
    dates = onset[pid] + (90 + 60 * k).astype("timedelta64[D]")
    items = np.clip(4 - (k[:, None] * rng.random((len(pid), 12)) / 3).astype(int), 0, 4)
    frame = pd.DataFrame(items, columns=["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"])
    frame.insert(0, "date", dates)
    frame.insert(0, "patient_id", ids[pid])
    frame["q5b"] = ""
    frame.to_csv(folder / "alsfrs.csv", index=False)
    return n_pat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "folder"
        folder.mkdir()
        t0 = time.perf_counter()
        n_pat = make_folder(folder, args.rows)
        print(f"wrote {args.rows:,} ALSFRS-R rows for {n_pat:,} patients in {time.perf_counter() - t0:.1f} s")
        engine = open_database(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        t0 = time.perf_counter()
        summary = import_folder(engine, folder)
        took = time.perf_counter() - t0
        assert summary.inserted["alsfrs"] == args.rows, summary.inserted
        print(
            f"imported {args.rows:,} ALSFRS-R rows + {n_pat:,} patients into {engine.dialect.name} "
            f"in {took:.1f} s = {args.rows / took:,.0f} rows/s (target: < 10 s SQLite, < 15 s PostgreSQL)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
