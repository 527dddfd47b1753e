"""Pipeline component `agency`: the requesting agency, as a reviewer would file it.

Gazetteer mentions (``data/agencies.jsonl``) ranked by position and context (see
:mod:`nlp.agencyrank`) and by the sender's domain; then the sender-domain mapping alone;
then statistical NER / keyword lines of the signature for agencies not in the gazetteer.
When the sender only relays a forwarded original (a thin cover note, see the `text`
component) written at another authority domain, that original's author is the requester.
The chosen gazetteer entry is left in ``doc.cache["agency_entry"]`` for `jurisdiction`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from nlp.agencyrank import THRESHOLD, Candidate, is_rank_line, load_cues, local_office_end, mention_weight, rank
from nlp.authority import is_authority
from nlp.domains import domain_of, sender_address, under
from nlp.gazetteer import Agency, fold, gazetteer
from nlp.models import ner_models
from nlp.registry import Doc, register
from nlp.types import Evidence, NlpConfig

log = logging.getLogger(__name__)
SOURCES = ("signature", "subject", "body", "attachment", "forward", "quote")
MAX_UNIT_WORDS = 9
FORWARD_HEADER_CHARS = 600
EMAIL_RE = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def collect(doc: Doc, gz: Any) -> dict[int, Candidate]:
    """Every gazetteer mention in the message, weighted, grouped by agency."""
    cands: dict[int, Candidate] = {}
    texts = [(s, doc.texts.get(s, "")) for s in SOURCES]
    texts.append(("header", doc.msg.from_name))
    for source, text in texts:
        for m in gz.find(text):
            weight, rule = mention_weight(source, text, m)
            for aid in m.ids:
                cand = cands.setdefault(aid, Candidate(gz.agencies[aid]))
                cand.weights.append(weight)
                cand.evidence.append((source, m, rule))
    return cands


def relayed_original(doc: Doc, sender_domain: str, curated: set[str]) -> tuple[str, str] | None:
    """The forwarded original and its author's domain, when the sender only relays it.

    Only a thin cover (``doc.cache["promoted"]``) over an original written at a different
    authority domain counts (not a colleague's mailbox at the same domain): a forwarded
    citizen's complaint names no requester.
    """
    if "forward" not in doc.cache.get("promoted", []):
        return None
    text = doc.texts.get("forward", "")
    m = EMAIL_RE.search(text[:FORWARD_HEADER_CHARS])
    if m is None:
        return None
    domain = m.group(1).lower().rstrip(".")
    if under(domain, sender_domain) or under(sender_domain, domain) or not is_authority(domain, curated):
        return None
    return text, domain


def unit_from_signature(doc: Doc, resources: dict[str, Any], use_spacy: bool) -> tuple[str, int, int] | None:
    """An authority named in the signature that the gazetteer does not know (a rank line is no authority)."""
    sig = doc.texts.get("signature", "")
    if not sig:
        return None
    if not load_cues().le_anywhere.search(fold(sig)):
        return None  # no authority word anywhere: neither an entity nor a line of it can name a unit
    keywords = load_cues().le_keywords
    models = ner_models(resources, use_spacy)
    model = models.get(doc.result.language or "en") or models.get("en")
    if model is not None:
        for ent in model(sig[:2000]).ents:
            name = ent.text.strip().split("\n")[0].strip()  # an entity run across signature lines: its first line
            if (
                ent.label_ == "ORG"
                and keywords.search(fold(name))
                and len(name.split()) <= MAX_UNIT_WORDS
                and not is_rank_line(name)
            ):
                start = sig.index(name, ent.start_char)
                return name, start, start + len(name)
    offset = 0
    for line in sig.split("\n"):
        clean = line.strip(" -|,")
        if (
            keywords.search(fold(clean))
            and 2 <= len(clean.split()) <= MAX_UNIT_WORDS
            and not re.search(r"@|\d{3}|https?:", clean)
            and clean[:1].isupper()
            and not is_rank_line(clean)  # 'Inspector of Police' is the signer's rank, not the unit
        ):
            start = offset + line.find(clean)
            return clean, start, start + len(clean)
        offset += len(line) + 1
    return None


def local_office(doc: Doc, best: Candidate) -> str | None:
    """The longer mention of a generic office type followed by its place, from the strongest mention on."""
    ranked = sorted(zip(best.weights, best.evidence, strict=True), key=lambda we: -we[0])
    for _, (source, m, _rule) in ranked:
        text = doc.msg.from_name if source == "header" else doc.texts.get(source, "")
        end = local_office_end(text, m)
        if end is not None:
            return text[m.start : end]
    return None


@register("agency")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        self.resources = resources
        self.gz = gazetteer(resources)
        self.curated = self.gz.all_domains()
        ner_models(resources, config.use_spacy)  # load (or log unavailability) at start-up

    def __call__(self, doc: Doc) -> None:
        domain = domain_of(sender_address(doc.msg))
        domain_agencies = self.gz.for_domain(domain) if domain else []
        doc.cache["domain_agencies"] = domain_agencies
        if self._relayed(doc, domain):
            return
        ranked = rank(collect(doc, self.gz), domain_agencies, domain)
        if ranked and ranked[0].score >= THRESHOLD:
            self._choose(doc, ranked[0], ranked[1:])
            return
        # a domain shared by a national body and its local units (police.belgium.eu) means the national body
        owners = [a for a in domain_agencies if a.region is None]
        if len(domain_agencies) == 1 or (len(owners) == 1 and domain_agencies[0].country):
            self._from_domain(doc, domain_agencies[0] if len(domain_agencies) == 1 else owners[0], domain)
            return
        unit = unit_from_signature(doc, self.resources, self.config.use_spacy)
        if unit is not None:
            name, start, end = unit
            doc.result.agency = name
            doc.result.confidence["agency"] = 0.4
            doc.cache["agency_weak"] = True
            doc.result.add_evidence("agency", Evidence(name, "signature", start, end, rule="signature_unit"))
            log.info("agency %r from signature (not in gazetteer)", name)
            return
        log.info(
            "no agency: best candidate %s", f"{ranked[0].agency.name} ({ranked[0].score:.1f})" if ranked else "none"
        )

    def _relayed(self, doc: Doc, domain: str) -> bool:
        """Choose the author of a relayed original; False when the message is no relay."""
        relay = relayed_original(doc, domain, self.curated)
        if relay is None:
            return False
        text, origin = relay
        cands: dict[int, Candidate] = {}
        for m in self.gz.find(text):
            weight, rule = mention_weight("body", text, m)
            for aid in m.ids:
                cand = cands.setdefault(aid, Candidate(self.gz.agencies[aid]))
                cand.weights.append(weight)
                cand.evidence.append(("forward", m, f"relayed_{rule}"))
        ranked = rank(cands, self.gz.for_domain(origin), origin)
        if not ranked or ranked[0].score < THRESHOLD:
            return False
        log.info("message relays an original from %s", origin)
        self._choose(doc, ranked[0], ranked[1:])
        return True

    def _choose(self, doc: Doc, best: Candidate, rest: list[Candidate]) -> None:
        doc.result.agency = local_office(doc, best) or best.agency.name
        doc.cache["agency_entry"] = best.agency
        margin = best.score - (rest[0].score if rest else 0.0)
        doc.result.confidence["agency"] = round(min(1.0, best.score / 6.0) * (0.7 if margin < 0.5 else 1.0), 2)
        for source, m, rule in best.evidence[:5]:
            ev_source = "header" if source == "header" else source
            doc.result.add_evidence("agency", Evidence(m.text, ev_source, m.start, m.end, rule=rule))  # type: ignore[arg-type]
        if best.agency.id in {a.id for a in doc.cache.get("domain_agencies", [])}:
            doc.result.add_evidence(
                "agency", Evidence(domain_of(sender_address(doc.msg)), "sender_domain", rule="domain_agrees")
            )
        log.info(
            "agency %r score %.1f (runner-up %s)",
            best.agency.name,
            best.score,
            f"{rest[0].agency.name} {rest[0].score:.1f}" if rest else "none",
        )

    def _from_domain(self, doc: Doc, agency: Agency, domain: str) -> None:
        doc.result.agency = agency.name
        doc.cache["agency_entry"] = agency
        doc.result.confidence["agency"] = 0.5
        doc.result.add_evidence("agency", Evidence(domain, "sender_domain", rule="domain_map"))
        log.info("agency %r from sender domain %s", agency.name, domain)
