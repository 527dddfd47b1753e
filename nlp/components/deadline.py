"""Pipeline component `deadline`: the response date the sender sets, and the statutory clock.

``deadline`` comes from the sender's own words (subject, body, attachment names; never quoted
mail). ``statutory_deadline`` comes from the request type and the instrument named (TCO removal
one hour, EPOC ten days or eight hours, EPOC-PR 60 days, 2703(f) 90 days), counted from receipt.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

import dateparser

from nlp.dates import LANGUAGES, DeadlineReader
from nlp.registry import Doc, register
from nlp.spans import DATA, iter_sources, load_json
from nlp.types import Evidence, NlpConfig

log = logging.getLogger(__name__)
SOURCES = ("subject", "body", "attachment")


US_SUFFIXES = (".gov", ".mil", ".us")


def _date_country(doc: Doc) -> str | None:
    """The jurisdiction, or US when none was found but the sender writes from a US government domain."""
    if doc.result.country:
        return doc.result.country
    return "US" if doc.msg.from_address.lower().endswith(US_SUFFIXES) else None


def load_date_languages() -> None:
    """Have dateparser build every language's tables now (20-150 ms each), not on the first mail with a
    written date in that language: one numeric date read in each language does it."""
    for lang in LANGUAGES:
        dateparser.parse("1 2 2026", languages=[lang])


@register("deadline")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        self.reader = DeadlineReader()
        load_date_languages()
        self.clocks = [(re.compile(c["pattern"], re.IGNORECASE), c)
                       for c in load_json(DATA / "legal" / "clocks.json")["clocks"]]

    def __call__(self, doc: Doc) -> None:
        base = doc.msg.received_at or doc.msg.date
        self._deadline(doc, base)
        if base is not None:
            self._statutory(doc, base)

    def _deadline(self, doc: Doc, base: datetime | None) -> None:
        request_mail = doc.result.request_type != "not_law_enforcement"
        for source, text in iter_sources(doc, SOURCES):
            found = self.reader.find(text, base, _date_country(doc))
            if not request_mail:  # press, marketing, phishing: only a strong cue is a response date
                found = [d for d in found if self.reader.strong(text, d)]
            dated = [d for d in found if d.rule.startswith("date_cue")]
            pick = (dated or found)[:1]
            if pick:
                d = pick[0]
                doc.result.deadline = d.value
                doc.result.add_evidence("deadline", Evidence(text=d.text, source=source, start=d.start, end=d.end,
                                                             rule=d.rule))
                doc.result.confidence["deadline"] = 0.8 if d.rule.startswith("date_cue") else 0.7
                log.info("deadline %s from %r (%s)", d.value, d.text, d.rule)
                return

    def _statutory(self, doc: Doc, base: datetime) -> None:
        rtype = doc.result.request_type
        text = doc.main_text()
        for rx, clock in self.clocks:
            if rtype not in clock["types"]:
                continue
            m = rx.search(text)
            if not m:
                continue
            delta = timedelta(hours=clock.get("hours", 0), days=clock.get("days", 0))
            doc.result.statutory_deadline = base + delta
            doc.result.add_evidence("statutory_deadline", Evidence(text=m.group(0), source="body", rule=clock["id"]))
            doc.result.confidence["statutory_deadline"] = 0.9
            log.info("statutory deadline %s (%s)", doc.result.statutory_deadline.isoformat(), clock["id"])
            return
