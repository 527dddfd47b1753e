"""Pipeline component `language`: ISO 639-1 code of the main body, with lingua.

The new body text (no quotes, no signature) is judged when it is long enough: a Catalan
footer or an English quoted thread must not decide the language of a Spanish request.
"""

from __future__ import annotations

import logging
from typing import Any

from nlp.models import language_detector, language_settings
from nlp.registry import Doc, register
from nlp.types import Evidence, NlpConfig

log = logging.getLogger(__name__)
MAX_CHARS = 1000  # lingua's cost grows with the text; the opening 1,000 characters decided as 5,000 did on 345 mails


def text_to_judge(doc: Doc, min_words: int) -> tuple[str, str]:
    """(source, text): the body when long enough, else body with subject and signature added."""
    body = doc.texts.get("body", "")
    if len(body.split()) >= min_words:
        return "body", body
    parts = [doc.texts.get(k, "") for k in ("subject", "body", "signature", "forward", "attachment")]
    return "body", "\n".join(p for p in parts if p)


def head(text: str, limit: int) -> str:
    """The first ``limit`` characters, cut at a space so that no half word is judged."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[:cut] if cut > limit // 2 else text[:limit]


@register("language")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        self.detector = language_detector(resources)
        self.min_words = int(language_settings()["min_body_words"])
        self.report_as: dict[str, str] = language_settings().get("report_as", {})

    def __call__(self, doc: Doc) -> None:
        source, text = text_to_judge(doc, self.min_words)
        text = head(text, MAX_CHARS)
        if not text.strip():
            return
        values = self.detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            log.info("language undecided")
            return
        lang, confidence = values[0].language, float(values[0].value)
        code = lang.iso_code_639_1.name.lower()
        code = self.report_as.get(code, code)
        doc.result.language = code
        doc.result.confidence["language"] = round(confidence, 3)
        sample = text[:80]
        doc.result.add_evidence("language", Evidence(sample, "body", 0, len(sample), rule="lingua"))
        log.debug("language %s (%.2f) from %s", code, confidence, source)
