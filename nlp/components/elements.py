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
from nlp.types import Evidence, NlpConfig

DATA = Path(__file__).resolve().parent.parent / "data" / "elements.json"
SOURCES = ("subject", "body", "signature", "forward", "attachment")


def load_cues(path: Path = DATA) -> dict[str, re.Pattern[str]]:
    """One compiled alternation per element, over every language's cues."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, re.Pattern[str]] = {}
    for element, by_lang in data.items():
        if element.startswith("_"):
            continue
        cues = [c for lang_cues in by_lang.values() for c in lang_cues]
        out[element] = re.compile("|".join(f"(?:{c})" for c in cues), re.IGNORECASE)
    return out


@register("elements")
class ElementsComponent:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.cues = load_cues()

    def __call__(self, doc: Doc) -> None:
        texts = {k: doc.texts[k] for k in SOURCES if doc.texts.get(k)}
        if not texts and (doc.msg.subject or doc.msg.text):
            texts = {"subject": doc.msg.subject, "body": doc.msg.text or ""}
        for element, pattern in self.cues.items():
            if element == "emergency_justification" and not doc.result.emergency:
                doc.result.elements[element] = False
                continue
            found = False
            for source, text in texts.items():
                m = pattern.search(text)
                if m:
                    found = True
                    doc.result.add_evidence(
                        f"element:{element}", Evidence(m.group(0), source, m.start(), m.end(), "elements")  # type: ignore[arg-type]
                    )
                    break
            doc.result.elements[element] = found
