"""Pipeline component `identifiers`: case reference, legal basis, targets, non-disclosure.

Reads the sender's own text (subject, body, attachment names); quoted and forwarded parts are
read for targets and the case reference only, with less weight, because follow-ups often name
them only in the quoted original.
"""

from __future__ import annotations

import logging
from typing import Any

import phonenumbers

from nlp.citations import Citation, CitationFinder
from nlp.registry import Doc, register
from nlp.spans import DATA, compile_rows, find_all, iter_sources, load_jsonl
from nlp.targets import TargetFinder
from nlp.types import Evidence, NlpConfig

log = logging.getLogger(__name__)
OWN = ("subject", "body", "attachment")
QUOTED = ("quote", "forward")
PENALTY = {"signature": 0.1, "quote": 0.3, "forward": 0.3}  # the sender's own new text is the best witness


@register("identifiers")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        self.citations = CitationFinder()
        self.targets = TargetFinder()
        self.nondisclosure = compile_rows(load_jsonl(DATA / "legal" / "nondisclosure.jsonl"))

    def __call__(self, doc: Doc) -> None:
        self._case_reference(doc)
        self._legal_basis(doc)
        self._targets(doc)
        self._non_disclosure(doc)

    def _case_reference(self, doc: Doc) -> None:
        best: tuple[float, int, Citation] | None = None
        order = 0
        for source, text in iter_sources(doc, (*OWN, "signature", *QUOTED)):
            for c in self.citations.case_references(source, text):
                score = c.weight - PENALTY.get(source, 0.0)
                order += 1
                if best is None or score > best[0]:
                    best = (score, order, c)
        if best:
            doc.result.case_reference = best[2].value
            doc.result.add_evidence("case_reference", best[2].evidence)
            doc.result.confidence["case_reference"] = round(min(best[0], 1.0), 2)
            log.debug("case_reference %r via %s", best[2].value, best[2].evidence.rule)

    def _legal_basis(self, doc: Doc) -> None:
        seen: set[str] = set()
        for source, text in iter_sources(doc, ("subject", "body", "attachment")):
            for c in self.citations.legal_basis(source, text):
                key = c.value.lower()
                if key in seen or any(key in other for other in seen):
                    continue
                seen.add(key)
                doc.result.legal_basis.append(c.value)
                doc.result.add_evidence("legal_basis", c.evidence)
        if doc.result.legal_basis:
            doc.result.confidence["legal_basis"] = 0.8
        log.debug("legal_basis %s", doc.result.legal_basis)

    def _targets(self, doc: Doc) -> None:
        country = doc.result.country
        region = country if country in phonenumbers.SUPPORTED_REGIONS else None
        exclude = {a.lower() for a in (doc.msg.from_address, *doc.msg.reply_to, *doc.msg.to) if a}
        sender_domain = doc.msg.from_address.rpartition("@")[2].lower()
        ref_spans = _spans(doc.result.evidence.get("case_reference", []))
        seen: set[str] = set()
        for source, text in iter_sources(doc, (*OWN, *QUOTED, "signature")):  # a mis-split list can land in "signature"
            blocked = ref_spans.get(source, [])
            for f in self.targets.find(source, text, region, exclude, blocked):
                key = f.value.lower()
                if key in seen or (sender_domain and key.endswith("@" + sender_domain)):
                    continue  # the sender's colleagues are contacts, not targets
                seen.add(key)
                doc.result.targets.append(f.value)
                doc.result.add_evidence("targets", f.evidence)
        if doc.result.targets:
            doc.result.confidence["targets"] = 0.8
        log.debug("targets %s", doc.result.targets)

    def _non_disclosure(self, doc: Doc) -> None:
        for source, text in iter_sources(doc, ("subject", "body")):
            for hit in find_all(self.nondisclosure, source, text):
                doc.result.non_disclosure = True
                doc.result.add_evidence("non_disclosure", Evidence(
                    text=hit.text, source=source, start=hit.start, end=hit.end, rule="nondisclosure"))
                doc.result.confidence["non_disclosure"] = float(hit.row.get("weight", 1.0))
                log.debug("non_disclosure via %r", hit.text)
                return


def _spans(evidence: list[Evidence]) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for ev in evidence:
        if ev.start is not None and ev.end is not None:
            out.setdefault(ev.source, []).append((ev.start, ev.end))
    return out
