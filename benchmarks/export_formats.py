"""Time the SDTM and FHIR exports of a simulated registry and print what was measured.

    .venv/bin/python benchmarks/export_formats.py                 # 300 patients, seed 7
    .venv/bin/python benchmarks/export_formats.py --patients 1000

Prints the row counts of the registry, the wall time of ``write_sdtm`` (CSV + XPT v5 + define.csv) and of
``write_fhir`` (every entry validated with fhir.resources R4B), wall and CPU seconds (on a shared machine the
wall time depends on the load, the CPU time much less), the datasets and entries written, and the peak
resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from alscell.io.fhir import write_fhir
from alscell.io.sdtm import write_sdtm
from alscell.io.tables import Tables
from alscell.simulate import CohortConfig, simulate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tables = Tables.from_frames(simulate_cohort(CohortConfig(n_patients=args.patients), args.seed).tables)
    print("registry rows:", {name: len(frame) for name, frame in tables.items()})
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        written = write_sdtm(tables, Path(tmp) / "sdtm")
        took = f"{time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU"
        print(f"sdtm: {took}, {sum(written.values())} records in", written)
        started, cpu = time.perf_counter(), time.process_time()
        entries = write_fhir(tables, Path(tmp) / "fhir")
        took = f"{time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU"
        size = (Path(tmp) / "fhir" / "bundle.json").stat().st_size
        print(f"fhir: {took}, {entries} entries, {size / 1e6:.1f} MB")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
