"""Pipeline component ``elements``: does the request state what a reviewer needs to act?

Marks the presence (not the value) of a named official, data categories, a date range and an
emergency justification, from cue phrases in ``data/elements.json``. The completeness check
in ``triage`` combines these with the extracted fields.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from nlp.registry import Doc, register
from nlp.spans import Compiled, compile_rows, live_rows
from nlp.types import Evidence, NlpConfig

DATA = Path(__file__).resolve().parent.parent / "data" / "elements.json"
SOURCES = ("subject", "body", "signature", "forward", "attachment")


def load_cues(path: Path = DATA) -> dict[str, Compiled]:
    """Every language's cues of each element, as prefiltered pattern rows (most cues are absent from a mail)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, Compiled] = {}
    for element, by_lang in data.items():
        if element.startswith("_"):
            continue
        out[element] = compile_rows([{"pattern": c} for lang_cues in by_lang.values() for c in lang_cues])
    return out


def first_cue(cues: Compiled, text: str) -> re.Match[str] | None:
    """The match one alternation of the cues would find: the leftmost, the earliest cue where two start together."""
    best: re.Match[str] | None = None
    for rx, _ in live_rows(cues, text):
        m = rx.search(text)
        if m is not None and (best is None or m.start() < best.start()):
            best = m
    return best


@register("elements")
class ElementsComponent:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.cues = load_cues()

    def __call__(self, doc: Doc) -> None:
        texts = {k: doc.texts[k] for k in SOURCES if doc.texts.get(k)}
        if not texts and (doc.msg.subject or doc.msg.text):
            texts = {"subject": doc.msg.subject, "body": doc.msg.text or ""}
        for element, cues in self.cues.items():
            if element == "emergency_justification" and not doc.result.emergency:
                doc.result.elements[element] = False
                continue
            found = False
            for source, text in texts.items():
                m = first_cue(cues, text)
                if m:
                    found = True
                    doc.result.add_evidence(
                        f"element:{element}", Evidence(m.group(0), source, m.start(), m.end(), "elements")  # type: ignore[arg-type]
                    )
                    break
            doc.result.elements[element] = found
