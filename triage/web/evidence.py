"""Evidence spans to highlight: which field was read where in the text a reviewer sees.

Offsets in ``TicketField.evidence`` refer to the prepared text of their source, which the
extraction result keeps under ``texts``; when that is missing the evidence text is searched in
the message body instead, so a highlight is shown whenever the words are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.models import TicketField, TicketMessage

SOURCE_ORDER = ("subject", "body", "signature", "quote", "forward", "attachment", "header", "sender_domain")


@dataclass(frozen=True)
class Segment:
    """A run of text, either plain (field None) or the evidence of one field (anchor id set)."""

    text: str
    field: str | None = None
    anchor: str | None = None


@dataclass
class SourceView:
    source: str
    segments: list[Segment]


def source_texts(message: TicketMessage | None) -> dict[str, str]:
    """Prepared texts by source, from the stored extraction or, failing that, subject and body."""
    if message is None:
        return {}
    extraction: dict[str, Any] = message.extraction or {}
    texts = extraction.get("texts")
    if isinstance(texts, dict) and texts:
        return {str(k): str(v) for k, v in texts.items() if isinstance(v, str)}
    out = {"subject": message.subject or ""}
    out["body"] = message.body_text or ""
    return out


def _locate(ev: dict[str, Any], texts: dict[str, str]) -> tuple[str, int, int] | None:
    """(source, start, end) of one evidence item inside ``texts``, or None when not found."""
    snippet = str(ev.get("text") or "")
    source = str(ev.get("source") or "body")
    start, end = ev.get("start"), ev.get("end")
    text = texts.get(source)
    in_range = text is not None and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    if in_range and (not snippet or text[start:end] == snippet):  # type: ignore[index]
        return source, start, end  # type: ignore[return-value]
    if not snippet:
        return None
    for name in ([source] if source in texts else []) + [s for s in texts if s != source]:
        pos = texts[name].find(snippet)
        if pos >= 0:
            return name, pos, pos + len(snippet)
    return None


def build_views(
    fields: dict[str, TicketField], texts: dict[str, str]
) -> tuple[list[SourceView], dict[str, list[str]]]:
    """The texts cut into segments, and for each field the anchors of its highlighted spans."""
    spans: dict[str, list[tuple[int, int, str, str]]] = {}
    anchors: dict[str, list[str]] = {}
    for name, tf in sorted(fields.items()):
        for i, ev in enumerate(tf.evidence or []):
            if not isinstance(ev, dict):
                continue
            found = _locate(ev, texts)
            if found is None:
                continue
            source, start, end = found
            spans.setdefault(source, []).append((start, end, name, f"ev-{name}-{i}"))
    ordered = sorted(texts, key=lambda s: SOURCE_ORDER.index(s) if s in SOURCE_ORDER else 99)
    views = [SourceView(source, _segments(texts[source], spans.get(source, []))) for source in ordered]
    views = [v for v in views if any(seg.text.strip() for seg in v.segments)]
    # only spans that made it into the page get an anchor (an overlapping one was dropped)
    for view in views:
        for seg in view.segments:
            if seg.field and seg.anchor:
                anchors.setdefault(seg.field, []).append(seg.anchor)
    return views, anchors


def _segments(text: str, spans: list[tuple[int, int, str, str]]) -> list[Segment]:
    """Cut ``text`` at the spans; a span overlapping an earlier one is dropped (marks cannot nest)."""
    out: list[Segment] = []
    pos = 0
    for start, end, name, anchor in sorted(spans):
        if start < pos:
            continue
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], name, anchor))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out
