"""Rendering: Jinja2 templates → one self-contained HTML file; PDF when the output name ends in .pdf."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from alscell.report import text
from alscell.report.embed import plotly_js

_env: Environment | None = None


def environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=PackageLoader("alscell.report", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _env.filters.update(
            num=text.num,
            pct=text.pct,
            pval=text.pval,
            date=text.date,
            signed=text.signed,
            words=text.words,
            comparison=text.comparison,
        )
    return _env


def render_html(template: str, context: dict) -> str:
    """The report as one HTML string; plotly.js is inlined once when the page has interactive figures."""
    ctx = dict(context)
    ctx.setdefault("plotly_js", Markup(plotly_js()) if ctx.get("uses_plotly", True) else "")
    return environment().get_template(template).render(**ctx)


def write_report(html: str, out: str | Path) -> Path:
    """Write ``html`` to ``out`` (.html) or print it to PDF with headless Chromium (.pdf)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        from alscell.report.pdf import html_to_pdf

        with tempfile.TemporaryDirectory(prefix="alscell-report-") as tmp:
            page = Path(tmp) / (out.stem + ".html")
            page.write_text(html, encoding="utf-8")
            return html_to_pdf(page, out)
    out.write_text(html, encoding="utf-8")
    return out


_URL = re.compile(r"(?:https?:)?//[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}", re.I)
_LOADS = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?!data:|#|javascript:void)[a-z][a-z0-9+.-]*:)"""
    r"""|(?:url\(\s*["']?\s*(?!data:|#)[a-z]+:)|(?:@import)""",
    re.I,
)


def split_plotly(html: str) -> tuple[str, str]:
    """(HTML without the inlined plotly.js bundle, the bundle) — the bundle is plotly's own file."""
    js = plotly_js()
    if js in html:
        return html.replace(js, ""), js
    return html, ""


def external_references(html: str) -> list[str]:
    """Every URL in the report outside plotly.js, and every attribute / CSS rule that would load a
    resource from another origin anywhere (bundle included).  An offline report returns []."""
    rest, _bundle = split_plotly(html)
    found = [m.group(0) for m in _URL.finditer(rest)]
    found += [m.group(0) for m in _LOADS.finditer(rest)]
    return found
