"""Shared helpers of the request components: data-file loading, source texts, sign-off detection.

Components read ``doc.texts`` (filled by the ``text`` component). When that is empty (a
pipeline run without ``text``), a plain fallback from the subject and text body is put in
place so that evidence offsets still refer to ``doc.texts``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.literals import WordIndex, required
from nlp.registry import Doc
from nlp.types import Source

DATA = Path(__file__).with_name("data")
_QUOTE_START = re.compile(
    r"^(?:>|-{2,}\s*(?:original|ursprüngliche|message d'origine|mensaje original|messaggio originale)|_{8,}"
    r"|(?:from|von|de|da|van|od):\s.*$\n^(?:sent|gesendet|envoyé|enviado|inviato|verzonden|wysłano|date):)",
    re.IGNORECASE | re.MULTILINE,
)


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL data file; blank lines and ``//`` comment lines are skipped."""
    rows: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            rows.append(json.loads(line))
    return rows


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def ensure_texts(doc: Doc) -> dict[str, str]:
    """``doc.texts``, or a fallback split of subject / new body / quoted part when nothing filled it."""
    if not doc.texts:
        body = doc.msg.text or ""
        if not body and doc.msg.html:
            body = re.sub(r"<[^>]+>", " ", doc.msg.html)
        m = _QUOTE_START.search(body)
        texts = {"subject": doc.msg.subject or "", "body": body[: m.start()] if m else body}
        if m:
            texts["quote"] = body[m.start():]
        names = [a.filename for a in doc.msg.attachments if a.filename]
        if names:
            texts["attachment"] = "\n".join(names)
        doc.texts.update({k: v for k, v in texts.items() if v})
        doc.cache["texts_fallback"] = True
    return doc.texts


@dataclass(frozen=True)
class Hit:
    """One match of a data-file pattern in a source text."""

    source: Source
    start: int
    end: int
    text: str
    row: dict[str, Any]


def iter_sources(doc: Doc, keys: tuple[str, ...]) -> Iterator[tuple[Source, str]]:
    texts = ensure_texts(doc)
    for key in keys:
        text = texts.get(key)
        if text:
            yield key, text  # type: ignore[misc]


Row = tuple[re.Pattern[str], dict[str, Any]]
CHUNK = 4  # patterns per prefilter alternation: small enough that one hit does not wake many
_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?\(|^\(\?[aiLmsux]+\)")
_NAMED = re.compile(r"\(\?P<\w+>")


class Compiled(list[Row]):
    """Compiled rows plus a cheap test of which rows may match a text.

    A row whose required literals (``nlp.literals``) are all absent cannot match: each distinct
    literal of the table is looked up once per text and wakes the rows that need it. Rows with no
    such literal are grouped by chunks in one alternation each; a chunk whose alternation finds
    nothing has no matching row. Most rows match nothing in most mails, and scanning them one by
    one was most of the pattern time.
    """

    def __init__(self, rows: list[Row]) -> None:
        super().__init__(rows)
        self.chunk_of: list[int | None] = []
        self.unions: list[re.Pattern[str]] = []
        self.unfiltered: list[int] = []  # rows with no literal: always woken, the chunk test decides
        by_word: dict[tuple[str, bool], list[int]] = {}
        pending: list[Row] = []
        for i, (rx, _) in enumerate(rows):
            needles = required(rx)
            if needles is not None:
                for word in needles.words:
                    by_word.setdefault((word, needles.folded), []).append(i)
            else:
                self.unfiltered.append(i)
            if needles is not None or _BACKREF.search(rx.pattern):  # a literal test, or not safe in an alternation
                self.chunk_of.append(None)
                continue
            if pending and (len(pending) >= CHUNK or pending[0][0].flags != rx.flags):
                self._close(pending)
            pending.append((rx, {}))
            self.chunk_of.append(len(self.unions))
        if pending:
            self._close(pending)
        self.folded_words = WordIndex({w: tuple(ix) for (w, f), ix in by_word.items() if f})
        self.plain_words = [(w, tuple(ix)) for (w, f), ix in by_word.items() if not f]

    def _close(self, pending: list[Row]) -> None:
        body = "|".join("(?:" + _NAMED.sub("(?:", rx.pattern) + ")" for rx, _ in pending)
        try:
            self.unions.append(re.compile(body, pending[0][0].flags))
        except re.error:  # a row that does not splice: its chunk is always scanned
            self.unions.append(re.compile(""))
        pending.clear()

    def woken(self, text: str) -> list[int]:
        """Indexes of the rows whose literal test passes (or that have none), in row order."""
        awake = set(self.unfiltered)
        if self.folded_words:
            for ixs in self.folded_words.found(text):
                awake.update(ixs)
        for word, ixs in self.plain_words:
            if word in text:
                awake.update(ixs)
        awake.update(range(len(self.chunk_of), len(self)))  # rows appended after compiling: scanned
        return sorted(awake)

    def live(self, text: str) -> Iterator[Row]:
        """The rows that may match ``text``, in row order."""
        chunks: dict[int, bool] = {}
        for i in self.woken(text):
            chunk = self.chunk_of[i] if i < len(self.chunk_of) else None
            if chunk is not None:
                if chunk not in chunks:
                    chunks[chunk] = self.unions[chunk].search(text) is not None
                if not chunks[chunk]:
                    continue
            yield self[i]


def compile_rows(rows: list[dict[str, Any]], flags: int = re.IGNORECASE) -> Compiled:
    """Compile each row's ``pattern``; a row with ``"case_sensitive": true`` ignores ``flags``."""
    return Compiled([(re.compile(r["pattern"], 0 if r.get("case_sensitive") else flags), r) for r in rows])


def live_rows(patterns: list[Row], text: str) -> Iterator[Row]:
    """``patterns`` that may match ``text`` (all of them for a plain list)."""
    return patterns.live(text) if isinstance(patterns, Compiled) else iter(patterns)


def find_all(patterns: list[Row], source: Source, text: str) -> Iterator[Hit]:
    for rx, row in live_rows(patterns, text):
        for m in rx.finditer(text):
            yield Hit(source, m.start(), m.end(), m.group(0), row)


_CLOSINGS: re.Pattern[str] | None = None


def closing_offset(text: str) -> int:
    """Offset of the sign-off line ("Regards", "Cordialement"...): contact details below it are the sender's."""
    global _CLOSINGS
    if _CLOSINGS is None:
        words = load_json(DATA / "legal" / "closings.json")["closings"]
        _CLOSINGS = re.compile(r"^[ \t]*(?:" + "|".join(words) + r")\b.{0,40}$", re.IGNORECASE | re.MULTILINE)
    m = _CLOSINGS.search(text)
    return m.start() if m else len(text)
