"""HTML to plain text with the standard library's parser.

Block elements and table cells become separate lines/fields so that a signature laid out in
a table does not run into one line; blockquotes are prefixed with ``> `` so that the quote
splitter treats them like quoted plain text.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "header", "footer", "hr", "address", "pre", "dl", "dt", "dd", "center",
}
CELL = {"td", "th"}
SKIP = {"script", "style", "head", "title", "template", "noscript", "xml", "o:p"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0

    def _flush(self) -> None:
        line = " ".join("".join(self.current).split()) if not self.pre_depth else "".join(self.current)
        prefix = "> " * self.quote_depth
        self.lines.append(prefix + line if line else (prefix.rstrip() if self.quote_depth else ""))
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skip_depth += 1
        elif tag == "blockquote":
            self._flush()
            self.quote_depth += 1
        elif tag in BLOCK:
            if tag == "pre":
                self.pre_depth += 1
            self._flush()
        elif tag in CELL and "".join(self.current).strip():
            self.current.append(" | ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "blockquote":
            self._flush()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in BLOCK:
            self._flush()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            for i, part in enumerate(data.split("\n")):
                if i:
                    self._flush()
                self.current.append(part)
        else:
            self.current.append(data)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body; never raises (falls back to unescaped markup)."""
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
        parser._flush()
    except Exception:
        return html.unescape(markup)
    out: list[str] = []
    for line in parser.lines:
        if not line.strip() and out and not out[-1].strip():
            continue  # collapse runs of blank lines
        out.append(line.rstrip())
    return "\n".join(out).strip()
