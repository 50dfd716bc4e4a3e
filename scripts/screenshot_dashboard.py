"""Screenshot of the web app's cohort dashboard for the docs (docs/img/dashboard.png).

    .venv/bin/python scripts/screenshot_dashboard.py [--patients 200] [--seed 7] [--user res|doc]

A simulated registry (the demo's route and cell-source mix) imported into a temporary database, uvicorn on a
free 127.0.0.1 port, Playwright driving Debian's Chromium (/usr/bin/chromium): the page is opened while the
dashboard is computed in the background and photographed (from the top to the safety section) once HTMX has
swapped in the results.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--effect", type=float, default=0.2)
    ap.add_argument("--user", choices=("res", "doc"), default="res", help="researcher (default) or clinician")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "dashboard.png")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"error: the screenshot needs Debian's Chromium ({CHROMIUM})", file=sys.stderr)
        return 1

    from playwright.sync_api import sync_playwright

    from alscell.cli.demo import demo_config
    from alscell.simulate import simulate_cohort
    from alscell.store.accounts import create_user
    from alscell.store.importer import import_folder
    from alscell.web import dashboard
    from alscell.web.app import create_app
    from alscell.web.local_server import serve_in_thread

    password = secrets.token_urlsafe(18)
    config = demo_config(args.patients, args.effect)
    with tempfile.TemporaryDirectory(prefix="alscell-dashshot-") as tmp:
        simulate_cohort(config, args.seed).write(Path(tmp) / "registry")
        app = create_app(f"sqlite:///{Path(tmp) / 'web.db'}")
        engine = app.state.engine
        import_folder(engine, Path(tmp) / "registry")
        create_user(engine, "res", "researcher", password)
        create_user(engine, "doc", "clinician", password)
        try:
            with serve_in_thread(app) as base, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                context = browser.new_context(base_url=base, viewport={"width": 1200, "height": 900})
                page = context.new_page()
                page.goto("/login")
                page.fill('input[name="username"]', args.user)
                page.fill('input[name="password"]', password)
                page.click('button[type="submit"]')
                page.wait_for_load_state()
                page.goto("/dashboard")
                page.wait_for_selector('#dashboard-progress[data-state="computing"]')
                page.wait_for_selector("#headline", timeout=300_000)  # swapped in by HTMX's polling
                args.out.parent.mkdir(parents=True, exist_ok=True)
                box = page.locator("#responders").bounding_box()  # counts, headline, claims and safety
                assert box is not None
                clip = {"x": 0, "y": 0, "width": 1200, "height": box["y"]}
                page.screenshot(path=str(args.out), full_page=True, clip=clip)
                browser.close()
            shown = args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out
            print(f"wrote {shown}")
        finally:
            dashboard.close(engine)
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
