"""Rendered screenshots of the cohort and patient reports for the README (docs/img/report_*.png).

    .venv/bin/python scripts/screenshots.py [--patients 300] [--seed 7]
    .venv/bin/python scripts/screenshots.py --web     # the web app's main pages (docs/img/web_*.png)

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
    ap.add_argument("--web", action="store_true", help="photograph the web app's main pages instead")
    args = ap.parse_args(argv)
    if args.web:
        web_screenshots(args.out)
        return 0

    from alscell.analysis.forecast import fit_natural_history
    from alscell.cli.demo import demo_config, pick_demo_patients
    from alscell.report.cohort import cohort_report
    from alscell.report.patient import patient_report
    from alscell.report.pdf import find_chromium, screenshot
    from alscell.simulate import simulate_cohort

    if find_chromium() is None:
        print("error: screenshots need Debian's headless Chromium (/usr/bin/chromium)", file=sys.stderr)
        return 1
    config = demo_config(args.patients, args.effect)
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


WEB_PAGES = (
    # (file, user, path): the main pages of the web app, photographed on the bundled example registry
    ("web_patients", "doc", "/patients"),
    ("web_patient", "doc", "/patients/ALS-001"),
    ("web_administration_form", "doc", "/patients/ALS-001/records/treatments/new"),
    ("web_visit_form", "doc", "/patients/ALS-001/visits/new"),
    ("web_researcher_patients", "res", "/patients"),
    ("web_patient_portal", "pat1", "/me"),
)


def web_screenshots(out: Path) -> None:
    """The web app's main pages (docs/img/web_*.png): uvicorn on a free 127.0.0.1 port, examples/small,
    one account per role with a random password, Playwright driving Debian's Chromium."""
    import secrets

    from playwright.sync_api import sync_playwright

    from alscell.store.accounts import create_user
    from alscell.store.importer import import_folder
    from alscell.web.app import create_app
    from alscell.web.local_server import serve_in_thread

    password = secrets.token_urlsafe(18)
    with tempfile.TemporaryDirectory(prefix="alscell-webshots-") as tmp:
        app = create_app(f"sqlite:///{Path(tmp) / 'web.db'}")
        engine = app.state.engine
        import_folder(engine, REPO / "examples" / "small")
        create_user(engine, "doc", "clinician", password)
        create_user(engine, "res", "researcher", password)
        create_user(engine, "pat1", "patient", password, patient_id="ALS-001")
        try:
            with serve_in_thread(app) as base, sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                for name, user, path in WEB_PAGES:
                    context = browser.new_context(base_url=base, viewport={"width": 1200, "height": 900})
                    page = context.new_page()
                    page.goto("/login")
                    page.fill('input[name="username"]', user)
                    page.fill('input[name="password"]', password)
                    page.click('button[type="submit"]')
                    page.wait_for_load_state()
                    page.goto(path)
                    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    print(f"wrote {(out / f'{name}.png').relative_to(REPO)}")
                    context.close()
                browser.close()
        finally:
            engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
