"""Is this mail clearly not for the law-enforcement address, and where should it go instead?

Three kinds, from ``data/misdirected.json`` and the extraction: ``other_company`` (a request
addressed by name to another company), ``press`` (a journalist's question) and
``user_support`` (any other non-law-enforcement mail from an ordinary person). A pointer is
only ever sent to a sender whose address our own MTA authenticated: an answer to a forged
From is backscatter.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from nlp.authresults import aligned_pass, read_auth
from nlp.domains import domain_of
from triage.parse import ParsedMail
from triage.settings import Settings

log = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent / "data" / "misdirected.json"
HEAD_CHARS = 2000  # cues are looked for in the subject and the start of the body only
ADDRESSEE_CHARS = 300
BLOCKING_SIGNALS = ("lookalike_domain", "auth_fail", "urgency_unverified", "reply_to_mismatch", "contact_mismatch")


@dataclass(frozen=True)
class Cues:
    press: re.Pattern[str]
    other_company: re.Pattern[str]


@cache
def cues() -> Cues:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    press = re.compile("|".join(f"(?:{p})" for p in data["press"]), re.IGNORECASE)
    addressee = "|".join(f"(?:{a})" for a in data["addressee"])
    company = "|".join(f"(?:{c})" for c in data["other_company"])
    other = re.compile(
        rf"(?:^|\n)\s*(?:{addressee})\s*:?\s*(?:the\s+)?(?:{company})\b", re.IGNORECASE
    )
    return Cues(press, other)


def kind_of(parsed: ParsedMail, request_type: str | None, official: bool) -> str | None:
    """The misdirected kind of a mail, or None when it may well be for us."""
    body = (parsed.text or "")[:HEAD_CHARS]
    c = cues()
    if c.other_company.search(body[:ADDRESSEE_CHARS]):
        return "other_company"
    if official or request_type != "not_law_enforcement":
        return None
    if c.press.search(parsed.subject or "") or c.press.search(body):
        return "press"
    return "user_support"


def destination_configured(settings: Settings, kind: str) -> bool:
    """A pointer needs somewhere to point to (other companies: their own channel, always known)."""
    return {"user_support": bool(settings.support_url), "press": bool(settings.press_address)}.get(kind, True)


def authenticated(settings: Settings, parsed: ParsedMail, signals: list[dict[str, Any]]) -> bool:
    """Our MTA's SPF/DKIM/DMARC pass aligned with the From domain, and no forgery signal."""
    if any(s.get("code") in BLOCKING_SIGNALS for s in signals):
        return False
    auth = read_auth(parsed.to_input(), settings.trusted_authserv_id)
    return auth.found and aligned_pass(auth, domain_of(parsed.from_address))


def pointer_kind(
    settings: Settings,
    parsed: ParsedMail,
    *,
    request_type: str | None,
    sender_verified: bool | None,
    signals: list[dict[str, Any]],
) -> str | None:
    """The kind of pointer to send instead of an acknowledgment, or None (then the usual ack rules apply)."""
    if not settings.misdirected_pointers:
        return None
    # finalize leaves sender_verified None only for ordinary people writing about other matters
    official = sender_verified is not None
    kind = kind_of(parsed, request_type, official)
    if kind is None or not destination_configured(settings, kind):
        return None
    if kind == "other_company" and sender_verified is not True:
        log.info("misdirected (%s) but sender not verified: no pointer", kind)
        return None
    if kind != "other_company" and not authenticated(settings, parsed, signals):
        log.info("misdirected (%s) but sender address not authenticated: no pointer", kind)
        return None
    return kind
