"""PDF output through Debian's headless Chromium (no network, throwaway profile)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


class ChromiumMissing(RuntimeError):
    """No headless Chromium on this machine."""


def find_chromium() -> str | None:
    """Path of the Chromium binary, or None.  ``ALSCELL_CHROMIUM``, when set, is the only candidate."""
    env = os.environ.get("ALSCELL_CHROMIUM")
    candidates = [env] if env else list(CHROMIUM_CANDIDATES)
    for cand in candidates:
        if Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None if env else shutil.which("chromium")


def chromium_args(binary: str, profile: str) -> list[str]:
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
        # the report is self-contained: refuse every network lookup
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ]


def run_chromium(html_path: Path, extra: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    binary = find_chromium()
    if binary is None:
        raise ChromiumMissing(
            "PDF and screenshots need Debian's headless Chromium (/usr/bin/chromium); "
            "install it with `sudo apt-get install chromium` (make setup does this) or write .html"
        )
    with tempfile.TemporaryDirectory(prefix="alscell-chromium-") as profile:
        cmd = [
            *chromium_args(binary, profile),
            "--virtual-time-budget=15000",
            "--run-all-compositor-stages-before-draw",
            *extra,
        ]
        cmd.append(Path(html_path).resolve().as_uri())
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print ``html_path`` to ``pdf_path`` with Chromium; raises ChromiumMissing or RuntimeError."""
    pdf_path = Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    if pdf_path.exists():
        pdf_path.unlink()
    proc = run_chromium(html_path, ["--no-pdf-header-footer", f"--print-to-pdf={pdf_path}"])
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"Chromium did not write {pdf_path} (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return pdf_path


def screenshot(html_path: Path, png_path: Path, width: int = 1280, height: int = 2000) -> Path:
    png_path = Path(png_path).resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    proc = run_chromium(html_path, [f"--window-size={width},{height}", f"--screenshot={png_path}"])
    if not png_path.exists():
        raise RuntimeError(f"Chromium did not write {png_path} (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    return png_path


def dump_dom(html_path: Path) -> str:
    """The DOM after scripts ran (used by tests to check interactive figures render offline)."""
    proc = run_chromium(html_path, ["--dump-dom"])
    return proc.stdout
