"""Rendered screenshots of the cohort and patient reports for the README (docs/img/report_*.png).

    .venv/bin/python scripts/screenshots.py [--patients 300] [--seed 7]

Builds the same simulated registry as `alscell demo`, writes both reports to a temporary folder and has
Debian's headless Chromium (network disabled) photograph them.  Needs /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--effect", type=float, default=0.2)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    args = ap.parse_args(argv)

    from alscell.analysis.forecast import fit_natural_history
    from alscell.cli.demo import DEMO_ROUTE_MIX, DEMO_SOURCE_MIX, pick_demo_patients
    from alscell.report.cohort import cohort_report
    from alscell.report.patient import patient_report
    from alscell.report.pdf import find_chromium, screenshot
    from alscell.simulate import CohortConfig, simulate_cohort

    if find_chromium() is None:
        print("error: screenshots need Debian's headless Chromium (/usr/bin/chromium)", file=sys.stderr)
        return 1
    config = CohortConfig(
        n_patients=args.patients,
        design="registry",
        effect=args.effect,
        cycles=3,
        route_mix=DEMO_ROUTE_MIX,
        source_mix=DEMO_SOURCE_MIX,
        follow_up_months=18.0,
    )
    tables = simulate_cohort(config, args.seed).tables
    with tempfile.TemporaryDirectory(prefix="alscell-shots-") as tmp:
        tmp = Path(tmp)
        cohort = cohort_report(
            tables, tmp / "cohort.html", source=f"simulated registry ({args.patients} patients, seed {args.seed})"
        )
        pid = pick_demo_patients(tables, 1)[0]
        patient = patient_report(tables, pid, tmp / "patient.html", model=fit_natural_history(tables))
        for name, page, height in (("report_cohort", cohort, 3000), ("report_patient", patient, 2600)):
            png = screenshot(page, args.out / f"{name}.png", width=1200, height=height)
            print(f"wrote {png.relative_to(REPO) if png.is_relative_to(REPO) else png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
