"""Case references and legal citations, read "as written" from the sender's text.

Both come from pattern rows in ``data/legal``: a case reference follows a label ("Case No.",
"Aktenzeichen", "Réf."), or has a shape that is a reference on its own (an FBI file number);
a legal citation is a statute/article pattern, skipped when it names an offence rather than the
power the request relies on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nlp.spans import DATA, compile_rows, live_rows, load_jsonl
from nlp.types import Evidence, Source

_TOKEN = re.compile(r"[^\s,;()\[\]<>\"]+")
_ABBREV = re.compile(r"^(?:[A-Z]\.){2,}[A-Z]?\.?$")
MAX_REF_LINE = 120  # a reference is short; never scan a whole unbroken text per label hit
_LEAD_LABEL = re.compile(r"(?:P\.?V\.?|n[°º]\.?|n\.|no\.|nr\.|núm\.|num\.|nota\s+n[.°º]?)(?=\s)", re.IGNORECASE)
_NOT_A_REF = re.compile(r"^(?:(?:19|20)\d{2}/\d{1,4}|\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$")
_EXTENSION = re.compile(r"\.(?:pdf|docx?|odt|rtf|txt|xlsx?|jpe?g|png|zip|eml|msg)$", re.IGNORECASE | re.MULTILINE)
_OWN_TICKET = re.compile(r"^LE-\d{4}-\d+", re.IGNORECASE)
_OFFENCE_CUE = re.compile(
    r"(?:offen[cs]es?|crime|charges?|violation|violat\w+|wegen|Straftat|infraction|délit|delito|reato|"
    r"przestępstw\w*|misdrijf|crime\s+de)\W{0,3}(?:\w+\W+){0,6}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Citation:
    value: str
    evidence: Evidence
    weight: float


class CitationFinder:
    """Compiled case-reference labels, reference shapes and citation patterns."""

    def __init__(self) -> None:
        legal = DATA / "legal"
        labels = load_jsonl(legal / "case_labels.jsonl")
        for row in labels:  # a label starts a word: "REF" inside "IRU/REF/2026" is part of a value
            row["pattern"] = r"(?<![\w/.-])(?:" + row["pattern"] + ")"
        self.labels = compile_rows(labels)
        self.shapes = compile_rows(load_jsonl(legal / "case_shapes.jsonl"), flags=0)
        self.citations = compile_rows(load_jsonl(legal / "citations.jsonl"))

    def case_references(self, source: Source, text: str) -> list[Citation]:
        """Labelled references first (weight from the label row), then bare reference shapes."""
        out: list[Citation] = []
        if source == "attachment":  # "WMP-20261109-0456_request.pdf": an underscore separates words in a file name
            text = _EXTENSION.sub(lambda m: " " * len(m.group(0)), text.replace("_", " "))
        for rx, row in live_rows(self.labels, text):
            for m in rx.finditer(text):
                value, end = _reference_after(text, m.end())
                if not value:
                    continue
                start = m.start() if row.get("keep_label") else end - len(value)
                if row.get("keep_label") or _joined(text, m):
                    start, value = m.start(), text[m.start():end]
                out.append(_cite(value, source, start, end, "case_label", float(row["weight"])))
        for rx, row in live_rows(self.shapes, text):
            if source not in row.get("sources", [source]):
                continue
            for m in rx.finditer(text):
                if _NOT_A_REF.match(m.group(0)):
                    continue
                out.append(_cite(m.group(0).strip(), source, m.start(), m.end(), "case_shape", float(row["weight"])))
        return [c for c in out if not _OWN_TICKET.match(c.value)]

    def legal_basis(self, source: Source, text: str) -> list[Citation]:
        """Citations the request relies on, longest first where they overlap."""
        hits: list[tuple[int, int, dict[str, Any]]] = []
        for rx, row in live_rows(self.citations, text):
            for m in rx.finditer(text):
                hits.append((m.start(), m.end(), row))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[Citation] = []
        last_end = -1
        for start, end, row in hits:
            if start < last_end:
                continue
            last_end = end
            before = re.split(r"[.;:]\s|\n", text[max(0, start - 80):start])[-1]  # this sentence only
            if row.get("offence") or _OFFENCE_CUE.search(before):
                continue
            value = text[start:end].strip().rstrip(",;")
            if value.endswith(".") and not re.search(r"(?:\b\w\.){2,}$", value):  # keep "k.p.k.", drop a full stop
                value = value[:-1]
            value = re.sub(r"\s+", " ", value)
            out.append(_cite(value, source, start, end, "citation", 1.0))
        return out


def _cite(value: str, source: Source, start: int, end: int, rule: str, weight: float) -> Citation:
    return Citation(value, Evidence(text=value, source=source, start=start, end=end, rule=rule), weight)


def _reference_after(text: str, pos: int) -> tuple[str, int]:
    """The reference that starts at ``pos``: tokens on the same line that look like a file number."""
    while True:
        while pos < len(text) and text[pos] in " \t:#.-–|\u00a0":  # "|": a table cell boundary
            pos += 1
        lead = _LEAD_LABEL.match(text, pos)
        if not lead:
            break
        pos = lead.end()
    line_end = text.find("\n", pos)
    line = text[pos: line_end if line_end >= 0 else len(text)][:MAX_REF_LINE]
    line = re.split(r"\s[-–|]\s|\s{2,}|\t", line, maxsplit=1)[0]
    tokens: list[re.Match[str]] = []
    for m in _TOKEN.finditer(line):
        tok = m.group(0)
        if tokens and m.start() - tokens[-1].end() > 1:
            break
        if not _looks_like_ref_token(tok, first=not tokens):
            break
        tokens.append(m)
    tail_code = (len(tokens) >= 2 and tokens[-1].end() == len(line.rstrip(". "))
                 and re.fullmatch(r"[A-Z]{2,3}", tokens[-1].group(0)) and re.search(r"\d", tokens[-2].group(0)))
    while tokens and not tail_code and not re.search(r"\d", tokens[-1].group(0)) \
            and not _ABBREV.match(tokens[-1].group(0)):
        tokens.pop()
    if not tokens or len(tokens) > 7:
        return "", pos
    value = line[tokens[0].start(): tokens[-1].end()].rstrip(".:?!")
    if tokens[-1].group(0).endswith(".") and _ABBREV.match(tokens[-1].group(0)):
        value = line[tokens[0].start(): tokens[-1].end()]
    if not re.search(r"\d", value) or len(value) < 3:
        return "", pos
    return value, pos + tokens[0].start() + len(value)


def _joined(text: str, label: re.Match[str]) -> bool:
    """A label fused to its number ("RSD-1234/26") is part of the reference as written."""
    return label.group(0).isalnum() and text[label.end(): label.end() + 2][:1] in ("-", "/") \
        and text[label.end() + 1: label.end() + 2].isdigit()


def _looks_like_ref_token(tok: str, first: bool) -> bool:
    if re.search(r"\d", tok):
        return True
    core = tok.rstrip(".")
    if not core.isalpha() and not _ABBREV.match(tok) and not re.fullmatch(r"[A-Za-z./]+", tok):
        return False
    if _ABBREV.match(tok) or (core.isupper() and len(core) <= 8):
        return True
    return (len(core) <= 3 and core[:1].isupper() and not first) or (len(core) <= 3 and tok.endswith("."))
