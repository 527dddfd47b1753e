"""Pipeline component `jurisdiction`: country (ISO 3166-1, ``EU`` for EU bodies) and region
(ISO 3166-2, only for sub-national authorities) of the requesting authority.

In order of trust: the matched agency, the sender's domain (government suffixes, country
TLDs, regional suffixes), places named in the signature, legal citations that imply a
country, and phone country codes in the signature. Nothing is said for a sender that is
neither a known agency nor an authority domain (a private person's ISP is no jurisdiction).
"""

from __future__ import annotations

import logging
from typing import Any

from nlp.authority import domain_country, domain_region, is_authority, is_freemail
from nlp.domains import domain_of, sender_address
from nlp.gazetteer import Agency, gazetteer
from nlp.places import law_country, phone_countries, places_in
from nlp.registry import Doc, register
from nlp.types import Evidence, NlpConfig

log = logging.getLogger(__name__)


@register("jurisdiction")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        self.curated = gazetteer(resources).all_domains()

    def __call__(self, doc: Doc) -> None:
        entry: Agency | None = doc.cache.get("agency_entry")
        domain = domain_of(sender_address(doc.msg))
        if entry is not None and entry.country:
            self._set(doc, entry.country, entry.region, 0.9, Evidence(entry.name, "header", rule="agency_gazetteer"))
            return
        official = is_authority(domain, self.curated)
        if doc.result.agency is None and not official:
            log.info("no jurisdiction: no agency and %s is no authority domain", domain or "no sender domain")
            return
        if domain and not is_freemail(domain):
            country = domain_country(domain)
            if country and (official or doc.result.agency):
                region = domain_region(domain) or self._signature_region(doc, country)
                self._set(doc, country, region, 0.7, Evidence(domain, "sender_domain", rule="domain"))
                return
        self._from_text(doc)

    @staticmethod
    def _signature_region(doc: Doc, country: str) -> str | None:
        """Region of an agency the gazetteer does not know, from its signature address."""
        if doc.result.agency is None:
            return None
        regions = {p.region for p in places_in(doc.texts.get("signature", "")) if p.region and p.country == country}
        return regions.pop() if len(regions) == 1 else None

    def _from_text(self, doc: Doc) -> None:
        sig = doc.texts.get("signature", "")
        for place in places_in(sig):
            ev = Evidence(sig[place.start : place.end], "signature", place.start, place.end, rule=place.rule)
            self._set(doc, place.country, place.region, 0.5, ev)
            return
        for source in ("subject", "body", "attachment"):
            text = doc.texts.get(source, "")
            found = law_country(text)
            if found:
                country, start, end = found
                self._set(doc, country, None, 0.4, Evidence(text[start:end], source, start, end, rule="law_citation"))
                return
        for place in phone_countries(sig):
            ev = Evidence(sig[place.start : place.end], "signature", place.start, place.end, rule=place.rule)
            self._set(doc, place.country, None, 0.4, ev)
            return
        log.info("jurisdiction unknown")

    @staticmethod
    def _set(doc: Doc, country: str, region: str | None, confidence: float, ev: Evidence) -> None:
        doc.result.country = country
        doc.result.region = region if region and region.startswith(country + "-") else None
        doc.result.confidence["country"] = confidence
        if doc.result.region:
            doc.result.confidence["region"] = confidence
        doc.result.add_evidence("country", ev)
        log.info("jurisdiction %s/%s by %s", country, doc.result.region, ev.rule)
