"""Pipeline component `finalize` (runs last): settle fields that depend on several components.

An ordinary person writing about something that is not a law-enforcement matter has no
"sender verification" (SCHEMA.md: null): `sender` ran before `request_type` knew that, so
``sender_verified`` is set back to None here unless the sender is an authority domain.
An agency guessed from a signature line the gazetteer does not know is dropped as well
(with its jurisdiction): for a private person it is their employer, not a requester.

Conversely, a verified mail from a known agency is not "not law enforcement" on the
classifier's word alone (no private-person or vendor wording matched): the classifier knows
few languages, and a Norwegian or Ukrainian police request must not fall out of the queue.
It becomes the best other class the request reader scored, or an inquiry. The same holds for an
unverified mail whose writer presents themself as a known agency ("This is the Metropolitan
Police", a signature, the sender name): SCHEMA.md labels a mail posing as an authority by what it
claims, with ``sender_verified`` false (a free-mail or lookalike sender), never null.
"""

from __future__ import annotations

import logging
from typing import Any

from nlp.registry import Doc, register
from nlp.types import NlpConfig

log = logging.getLogger(__name__)
NOT_LE = "not_law_enforcement"
# how an agency is claimed as the writer's own (not 'letterhead': a mention early in a private person's story)
CLAIM_RULES = {"first_person", "signature", "header", "sign_off", "domain_agrees", "domain_map"}


@register("finalize")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config

    def __call__(self, doc: Doc) -> None:
        r = doc.result
        if r.request_type != NOT_LE:
            return
        if self._authority_request(doc) or self._claimed_authority(doc):
            self._reclassify(doc)
            return
        if doc.cache.get("sender_official"):
            return
        log.info("not a law-enforcement matter from a non-authority sender: sender_verified is not applicable")
        r.sender_verified = None
        r.confidence.pop("sender_verified", None)
        if doc.cache.get("agency_weak"):
            log.info("weak agency guess %r dropped for a not-law-enforcement message", r.agency)
            r.agency = r.country = r.region = None
            for key in ("agency", "country", "region"):
                r.confidence.pop(key, None)

    @staticmethod
    def _authority_request(doc: Doc) -> bool:
        """Verified sender, gazetteer agency, and no rule (only the classifier) said not_law_enforcement."""
        by_rule = any(e.rule == "request_type_rule" for e in doc.result.evidence.get("request_type", []))
        return doc.result.sender_verified is True and doc.cache.get("agency_entry") is not None and not by_rule

    @staticmethod
    def _claimed_authority(doc: Doc) -> bool:
        """The writer presents themself as a gazetteer agency, and no rule (only the classifier) said otherwise.

        A mention in a private person's story ("I reported it to the police") or a third-party
        reference carries none of the claim rules, so it stays not_law_enforcement.
        """
        r = doc.result
        if doc.cache.get("agency_entry") is None or r.sender_verified is not False:
            return False
        if any(e.rule == "request_type_rule" for e in r.evidence.get("request_type", [])):
            return False
        return any(e.rule in CLAIM_RULES for e in r.evidence.get("agency", []))

    @staticmethod
    def _reclassify(doc: Doc) -> None:
        scores: dict[str, float] = doc.cache.get("request_type_scores") or {}
        others = {k: v for k, v in scores.items() if k != NOT_LE}
        best = max(others, key=lambda k: others[k]) if others else "inquiry"
        log.info("%r mail read as not_law_enforcement by the classifier alone: %s", doc.result.agency, best)
        doc.result.request_type = best
        doc.result.confidence["request_type"] = min(doc.result.confidence.get("request_type", 0.5), 0.4)
