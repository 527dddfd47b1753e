"""Pipeline component `sender`: is the message really from the authority it claims? Sets
``sender_verified`` and plain-words ``signals`` for the reviewer.

Verified = an authority domain (curated agency domains, government suffixes, authority
naming patterns) AND authentication passed at OUR MTA and aligned with the From domain AND
no free-mail / look-alike / Reply-To diversion. A pass alone never verifies anybody: fake
emergency requests also come from real, compromised mailboxes, so this is a first filter.
The `finalize` component turns it into None for ordinary people (not_law_enforcement).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from nlp.authority import gov_suffix, is_authority, is_freemail, lookalike_of, prepare_lookalikes, tld_swap_of
from nlp.authresults import AuthResult, aligned_pass, read_auth
from nlp.domains import domain_of, registered_domain, sender_address, under_any
from nlp.gazetteer import fold, gazetteer
from nlp.registry import Doc, register
from nlp.types import Evidence, NlpConfig, Signal

log = logging.getLogger(__name__)
CUES_FILE = Path(__file__).parent.parent / "data" / "sender_cues.json"
EMAIL_RE = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def _cue_pattern(key: str) -> re.Pattern[str]:
    words = json.loads(CUES_FILE.read_text(encoding="utf-8"))[key]
    return re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words) + r")")


@register("sender")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config
        self.curated = gazetteer(resources).all_domains()
        prepare_lookalikes(self.curated)
        self.urgency = _cue_pattern("urgency")
        self.contact = _cue_pattern("contact")

    def __call__(self, doc: Doc) -> None:
        address = sender_address(doc.msg)
        domain = domain_of(address)
        signals: list[Signal] = []
        official = is_authority(domain, self.curated)
        free = is_freemail(domain)
        if free:
            lookalike = None
        elif official:  # a naming pattern is fooled by 'guardiacivil.eu', 'met.police.uk.co', 'metpolice-uk.org'
            lookalike = tld_swap_of(domain, self.curated) or (
                None if self._vouched(domain) else lookalike_of(domain, self.curated)
            )
            official = lookalike is None
        else:
            lookalike = lookalike_of(domain, self.curated)
        auth = read_auth(doc.msg, self.config.trusted_authserv_id)
        passed = auth.found and aligned_pass(auth, domain)
        if free:
            signals.append(
                Signal(
                    "freemail",
                    f"sent from the free-mail provider {registered_domain(domain)}",
                    "high",
                    {"domain": domain},
                )
            )
        if lookalike:
            signals.append(
                Signal(
                    "lookalike_domain",
                    f"{domain} looks like the official {lookalike}",
                    "high",
                    {"domain": domain, "imitates": lookalike},
                )
            )
        signals.extend(self._auth_signals(auth, domain, passed))
        diverted = self._diversions(doc, domain, signals)
        if signals and self._urgent(doc):
            signals.append(
                Signal("urgency_unverified", "urgent or threatening wording together with the risks above", "high")
            )
        verified = bool(official and passed and not diverted and not lookalike)
        if official and not signals:
            signals.append(
                Signal("authority_domain", f"{domain} is an authority domain and passed authentication", "info")
            )
        elif not official and not free and not lookalike:
            signals.append(
                Signal("unknown_domain", f"{domain or 'no sender domain'} is not a known authority domain", "warning")
            )
        doc.result.sender_verified = verified
        doc.result.signals.extend(signals)
        doc.result.confidence["sender_verified"] = 0.8 if verified or signals else 0.5
        doc.result.add_evidence(
            "sender_verified", Evidence(domain, "sender_domain", rule="authority" if official else "not_authority")
        )
        doc.cache["sender_official"] = official
        log.info(
            "sender %s official=%s auth=%s verified=%s signals=%s",
            domain,
            official,
            passed,
            verified,
            [s.code for s in signals],
        )

    def _vouched(self, domain: str) -> bool:
        """Curated or under a government suffix: the naming pattern is not all that speaks for it."""
        return under_any(domain, self.curated) or gov_suffix(domain) is not None

    @staticmethod
    def _auth_signals(auth: AuthResult, domain: str, passed: bool) -> list[Signal]:
        if not auth.found:
            return [
                Signal(
                    "auth_missing",
                    "no Authentication-Results from our mail server",
                    "warning",
                    {"ignored_headers": auth.ignored},
                )
            ]
        out = []
        for method in ("spf", "dkim", "dmarc"):
            result = getattr(auth, method)
            if result in ("fail", "softfail", "permerror", "temperror"):
                out.append(
                    Signal(
                        "auth_fail",
                        f"{method.upper()} {result} at our mail server",
                        "high",
                        {"method": method, "result": result},
                    )
                )
        if not passed and not out:
            out.append(
                Signal(
                    "auth_unaligned",
                    f"no SPF/DKIM/DMARC pass aligned with {domain}",
                    "warning",
                    {"spf": auth.spf, "dkim": auth.dkim, "dmarc": auth.dmarc},
                )
            )
        return out

    def _diversions(self, doc: Doc, domain: str, signals: list[Signal]) -> bool:
        """Reply-To or contact addresses that lead away from the sender's domain."""
        org = registered_domain(domain)
        diverted = False
        for addr in doc.msg.reply_to:
            rdom = domain_of(addr)
            if rdom and registered_domain(rdom) != org:
                severe = is_freemail(rdom) or not is_authority(rdom, self.curated)
                signals.append(
                    Signal(
                        "reply_to_mismatch",
                        f"Reply-To points to {rdom}, not {domain}",
                        "high" if severe else "warning",
                        {"reply_to": addr},
                    )
                )
                diverted = diverted or severe
        seen: set[str] = set()
        for source in ("signature", "body"):
            text = doc.texts.get(source, "")
            for m in EMAIL_RE.finditer(text):
                cdom = m.group(1).lower().rstrip(".")
                if cdom in seen or registered_domain(cdom) == org or not is_freemail(cdom) or is_freemail(domain):
                    continue
                # in the body, an address is a target unless the sentence asks to write there
                if source == "body" and not self.contact.search(fold(text[max(0, m.start() - 80) : m.start()])):
                    continue
                seen.add(cdom)
                signals.append(
                    Signal(
                        "contact_mismatch",
                        f"the message gives the free-mail contact {m.group(0)}",
                        "high",
                        {"address": m.group(0), "source": source},
                    )
                )
                diverted = True
        return diverted

    def _urgent(self, doc: Doc) -> bool:
        return bool(self.urgency.search(fold(doc.main_text())))
