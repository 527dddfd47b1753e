"""Split a plain-text body into new text, signature, quoted and forwarded parts.

Marker phrases live in ``data/text_markers.json``; this module only walks lines. Signatures
and legal footers are kept (agencies sign there), just set apart from the new text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MARKERS_FILE = Path(__file__).with_name("data") / "text_markers.json"


@dataclass(frozen=True)
class Markers:
    quote: tuple[re.Pattern[str], ...]
    forward: tuple[re.Pattern[str], ...]
    block_from: re.Pattern[str]
    block_next: re.Pattern[str]
    forward_subject: re.Pattern[str]
    closings: frozenset[str]
    disclaimers: tuple[re.Pattern[str], ...]
    see_below: tuple[str, ...]


@dataclass
class Parts:
    body: str = ""
    signature: str = ""
    quote: str = ""
    forward: str = ""


@lru_cache(maxsize=1)
def load_markers() -> Markers:
    data = json.loads(MARKERS_FILE.read_text(encoding="utf-8"))

    def comp(pats: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.I) for p in pats)

    return Markers(
        quote=comp(data["quote_headers"]),
        forward=comp(data["forward_headers"]),
        block_from=re.compile(data["header_block_from"], re.I),
        block_next=re.compile(data["header_block_next"], re.I),
        forward_subject=re.compile(data["forward_subject_prefix"], re.I),
        closings=frozenset(data["closings"]),
        disclaimers=comp(data["disclaimers"]),
        see_below=tuple(data["see_below"]),
    )


def _is_header_block(lines: list[str], i: int, m: Markers) -> bool:
    """An Outlook-style 'From: / Sent: / To: / Subject:' block starts at line ``i``."""
    if not m.block_from.match(lines[i].strip().lstrip("*").strip()):
        return False
    following = [ln.strip().lstrip("*").strip() for ln in lines[i + 1 : i + 5] if ln.strip()]
    return sum(1 for ln in following if m.block_next.match(ln)) >= 2


def find_earlier_message(lines: list[str], m: Markers) -> tuple[int, str] | None:
    """Index of the first line that opens a quoted or forwarded earlier message, and its kind."""
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith(">"):
            continue
        joined = line if i + 1 >= len(lines) else f"{line} {lines[i + 1].strip()}"
        if any(p.match(line) for p in m.forward):
            return i, "forward"
        if any(p.match(line) for p in m.quote):
            return i, "header"
        # "On Tue, 3 Mar 2026, X <x@y>\nwrote:" wrapped over two lines
        if (
            len(line) < 200
            and any(p.match(joined) for p in m.quote[:-1])
            and not any(p.match(lines[i + 1].strip()) for p in m.quote)
        ):
            return i, "header"
        if _is_header_block(lines, i, m):
            return i, "block"
    return None


def _closing_key(line: str) -> str:
    return re.sub(r"[\s,.!:;]+$", "", line.strip().lower())


def find_signature(lines: list[str], m: Markers) -> int | None:
    """Index where the signature (closing, sign-off, footer) starts in the new text, if any."""
    candidates: list[int] = []
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line in ("--", "-- ", "__", "___"):
            candidates.append(i)
            break
    closing = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if i and len(line) <= 60 and _closing_key(line) in m.closings:
            closing = i  # the last closing wins: "Thanks" may also open a paragraph
    if closing is not None:
        candidates.append(closing)
    for i, raw in enumerate(lines):
        if i and any(p.match(raw.strip()) for p in m.disclaimers):
            candidates.append(i)
            break
    if candidates:
        return min(candidates)
    return _trailing_block(lines)


def _paragraphs(lines: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate([*lines, ""]):
        if line.strip() and start is None:
            start = i
        elif not line.strip() and start is not None:
            spans.append((start, i))
            start = None
    return spans


def _trailing_block(lines: list[str]) -> int | None:
    """Fallback: a late paragraph of several short lines (name, rank, unit, phone).

    Up to two one-line paragraphs after it ("Sent from my iPhone", a footer) are allowed.
    """
    spans = _paragraphs(lines)
    for n, (start, end) in enumerate(reversed(spans)):
        block = [ln.strip() for ln in lines[start:end]]
        if n == len(spans) - 1:
            return None  # never the whole message
        short = len(block) >= 2 and all(len(ln) <= 70 for ln in block)
        if short and not any(ln.endswith((".", "?")) and len(ln.split()) > 8 for ln in block):
            return start
        if len(block) > 1 or n >= 2:
            return None
    return None


def split_body(text: str, subject: str = "") -> Parts:
    """Split ``text`` into parts; joins of the parts keep every line of the input."""
    m = load_markers()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parts = Parts()
    found = find_earlier_message(lines, m)
    new_lines = lines
    if found is not None:
        idx, kind = found
        earlier = "\n".join(lines[idx:]).strip()
        is_forward = kind == "forward" or bool(m.forward_subject.match(subject))
        if is_forward:
            parts.forward = earlier
        else:
            parts.quote = earlier
        new_lines = lines[:idx]
    # trailing '>' quoted lines (bottom-quoting without a header) are quotes too
    end = len(new_lines)
    while end and (not new_lines[end - 1].strip() or new_lines[end - 1].lstrip().startswith(">")):
        end -= 1
    tail = "\n".join(ln for ln in new_lines[end:] if ln.strip())
    if tail:
        parts.quote = "\n".join(t for t in (tail, parts.quote) if t)
    new_lines = new_lines[:end]
    sig = find_signature(new_lines, m)
    if sig is not None:
        parts.signature = "\n".join(new_lines[sig:]).strip()
        new_lines = new_lines[:sig]
    parts.body = "\n".join(new_lines).strip()
    return parts


def strip_forward_header(text: str) -> str:
    """Drop the forward marker and the From/Date/Subject lines that open a forwarded message."""
    m = load_markers()
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip().lstrip("*").strip()
        is_marker = any(p.match(line) for p in (*m.forward, *m.quote))
        if line and not (is_marker or m.block_from.match(line) or m.block_next.match(line)):
            break
        i += 1
    return "\n".join(lines[i:])


def says_see_below(body: str) -> bool:
    """True when the new text is too thin to carry the request (empty, 'see below', a wrapper)."""
    low = " ".join(body.lower().split())
    if len(low.split()) < 12:
        return True
    return len(low.split()) < 60 and any(p in low for p in load_markers().see_below)
