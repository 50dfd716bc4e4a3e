"""Parsing helpers for report tests: the report's own content, read back from the HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class KeyedText(HTMLParser):
    """Collect the text of every element carrying ``data-key`` and every ``data-figure`` label."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.keys: dict[str, str] = {}
        self.figures: list[str] = []
        self.unavailable: list[str] = []
        self._stack: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-figure" in a:
            self.figures.append(a["data-figure"])
        if "data-unavailable" in a:
            self.unavailable.append(a["data-unavailable"])
        if tag in ("br", "img", "meta", "path", "use", "rect", "line", "circle", "stop"):
            return
        self._stack.append((tag, a.get("data-key")))
        if a.get("data-key"):
            self.keys[a["data-key"]] = ""

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        self.text.append(data)
        for _, key in self._stack:
            if key:
                self.keys[key] += data


def parse(html: str) -> KeyedText:
    p = KeyedText()
    p.feed(re.sub(r"<script\b.*?</script>", "", html, flags=re.S))
    return p


def visible_text(html: str) -> str:
    return " ".join(" ".join(parse(html).text).split())
