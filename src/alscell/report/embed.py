"""Embedding figures in one self-contained HTML file: inline SVG / PNG data URIs (matplotlib) and Plotly
divs whose JavaScript is the plotly.js shipped inside the ``plotly`` Python package (no CDN)."""

from __future__ import annotations

import base64
import io
import itertools
import re
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from markupsafe import Markup

_counter = itertools.count()
_SVG_HEAD = re.compile(r"^.*?(<svg\b)", re.S)
# Namespace declarations are identifiers, not links; the HTML parser puts inline <svg> in the SVG
# namespace by itself, so they are dropped (the report then holds no URL outside plotly.js).
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_BETWEEN_TAGS = re.compile(r">\s+<")
_LONG_DECIMAL = re.compile(r"(\d\.\d)\d+")
# matplotlib repeats the whole font fallback list on every <text>; one CSS rule in the figure says it once.
_FONT_FAMILY = re.compile(r"font-family: [^;\"]*;? ?")
_GROUP_ID = re.compile(r'<g id="[^"]*"')  # group ids are never referenced (clip paths and markers are)
_NO_ROTATION = re.compile(r' transform="rotate\(-?0 [^)]*\)"')
_PATH_BREAK = re.compile(r" ?\n(?=[A-Za-z\"])")
_SVG_FONT_RULE = "text{font-family:'DejaVu Sans',Arial,Helvetica,sans-serif}"

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: searchable, selectable, small
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.25,
        "figure.dpi": 100,
    }
)


def svg(fig, label: str = "") -> Markup:
    """The figure as an inline ``<svg>`` element (closes the figure)."""
    buf = io.StringIO()
    n = next(_counter)
    with plt.rc_context({"svg.hashsalt": f"alscell-{n}"}):
        fig.savefig(
            buf,
            format="svg",
            bbox_inches="tight",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    plt.close(fig)
    text = _SVG_HEAD.sub(r"\1", buf.getvalue(), count=1)
    text = _METADATA.sub("", text)
    text = _XMLNS.sub("", text)
    # Smaller without a visible change: no indentation between tags, coordinates to 0.1 px.
    text = _BETWEEN_TAGS.sub("><", text)
    text = _LONG_DECIMAL.sub(r"\1", text)
    text = _compact(text)
    # Unique ids per figure: several inline SVGs share one document.
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="f{n}-{m.group(1)}"', text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#f{n}-{m.group(2)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#f{n}-{m.group(1)})", text)
    text = text.replace(
        "<svg ", f'<svg role="img" aria-label="{_attr(label)}" class="figure-svg" data-figure="{_attr(label)}" ', 1
    )
    return Markup(text)


def _compact(text: str) -> str:
    """The same drawing in fewer bytes: the font list once in CSS, no unreferenced group ids, no identity
    rotations, path commands without line breaks (a report holds a dozen figures)."""
    text = _FONT_FAMILY.sub("", text)
    text = text.replace("</style>", _SVG_FONT_RULE + "</style>", 1)
    text = _GROUP_ID.sub("<g", text)
    text = _NO_ROTATION.sub("", text)
    return _PATH_BREAK.sub("", text)


def png_data_uri(fig, dpi: int = 150) -> str:
    """The figure as a ``data:image/png;base64,...`` URI (closes the figure)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _attr(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# plotly.js's "basic" partial bundle (scatter, bar, pie: every trace the reports draw), npm package
# plotly.js-basic-dist-min at the version the installed plotly.py is built for (4.1.1; MIT licence next to it).
# 1.2 MB instead of the full bundle's 4.8 MB, so one self-contained report stays under 1.5 MB.
PLOTLY_BASIC = "plotly-basic.min.js"
PLOTLY_BASIC_VERSION = "4.1.1"


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The partial plotly.js bundle shipped with alscell (inlined once per report; never from a CDN)."""
    from importlib.resources import files

    return (files("alscell.report") / "static" / PLOTLY_BASIC).read_text(encoding="utf-8")


PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["sendDataToCloud"],
    "toImageButtonOptions": {"format": "svg"},
}


def plotly_div(fig, label: str = "", height: int = 420) -> Markup:
    """A Plotly figure as a ``<div>`` + inline script (needs :func:`plotly_js` once on the page)."""
    import plotly.io as pio

    fig.update_layout(height=height, margin=dict(l=60, r=20, t=40, b=50), template="plotly_white")
    html = pio.to_html(
        fig, include_plotlyjs=False, full_html=False, config=PLOTLY_CONFIG, div_id=f"plotly-{next(_counter)}"
    )
    return Markup(f'<div class="plotly-figure" data-figure="{_attr(label)}">{html}</div>')
