"""Read our own MTA's Authentication-Results header, and only that one.

Headers are top-most first; the first one whose authserv-id is ours was added by our MTA.
Any other (or a second one with our id further down) may have been written by the sender.
A header whose text does not contain our authserv-id cannot carry it (the id is a dot-atom, read
verbatim) and is counted as ignored without parsing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import authres
import authres.core

from nlp.domains import registered_domain
from nlp.types import MessageInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthResult:
    found: bool
    spf: str | None = None
    spf_domain: str | None = None
    dkim: str | None = None
    dkim_domains: tuple[str, ...] = ()
    dmarc: str | None = None
    dmarc_from: str | None = None
    ignored: int = 0  # Authentication-Results headers not from our MTA


@lru_cache(maxsize=64)
def _anchored(pattern: str) -> re.Pattern[str]:
    return re.compile(r"^" + pattern, re.IGNORECASE)


class _Header(authres.core.AuthenticationResultsHeader):
    """authres's parser with its token patterns compiled once.

    authres consumes the text token by token through ``_parse_pattern``, which re-compiles its
    pattern on every call (a cache lookup with flag arithmetic, ~100 calls per header): that was
    most of the sender component's time. Same patterns, same first-match removal, same results.
    """

    _parse_text: str  # the text still to parse, set by authres

    def _parse_pattern(self, pattern: Any) -> re.Match[str] | None:
        regexp = pattern if isinstance(pattern, re.Pattern) else _anchored(pattern)
        text = self._parse_text
        m = regexp.search(text)
        if m is not None:
            self._parse_text = text[: m.start()] + text[m.end():]
        return m


def parse_header(value: str) -> authres.core.AuthenticationResultsHeader:
    """One Authentication-Results value parsed as ``authres.AuthenticationResultsHeader.parse_value``."""
    return _Header.parse_value(authres.core_features(), value)


def read_auth(msg: MessageInput, trusted_id: str) -> AuthResult:
    ignored = 0
    trusted = trusted_id.lower()
    for value in msg.header("Authentication-Results"):
        if trusted not in value.lower():  # not ours, parsable or not
            ignored += 1
            continue
        try:
            header = parse_header(value)
        except Exception as exc:  # a malformed header is no evidence either way
            log.info("unparsable Authentication-Results ignored: %s", exc)
            ignored += 1
            continue
        if str(header.authserv_id).lower() != trusted:
            ignored += 1
            continue
        return _summarize(header, ignored)
    return AuthResult(found=False, ignored=ignored)


def _prop(result: object, ptype: str, name: str) -> str | None:
    for p in getattr(result, "properties", []):
        if p.type == ptype and p.name == name and p.value:
            return str(p.value).lower().split("@")[-1]
    return None


def _summarize(header: authres.AuthenticationResultsHeader, ignored: int) -> AuthResult:
    spf = spf_domain = dkim = dmarc = dmarc_from = None
    dkim_domains: list[str] = []
    for r in header.results:
        method, result = str(r.method).lower(), str(r.result).lower()
        if method == "spf" and spf is None:
            spf, spf_domain = result, _prop(r, "smtp", "mailfrom") or _prop(r, "smtp", "helo")
        elif method == "dkim":
            if dkim != "pass":
                dkim = result
            d = _prop(r, "header", "d")
            if d and result == "pass":
                dkim_domains.append(d)
        elif method == "dmarc" and dmarc is None:
            dmarc, dmarc_from = result, _prop(r, "header", "from")
    return AuthResult(True, spf, spf_domain, dkim, tuple(dkim_domains), dmarc, dmarc_from, ignored)


def aligned_pass(auth: AuthResult, from_domain: str) -> bool:
    """DMARC pass for this From domain, or SPF/DKIM pass on the same registered domain."""
    org = registered_domain(from_domain)
    if auth.dmarc == "pass" and (auth.dmarc_from is None or registered_domain(auth.dmarc_from) == org):
        return True
    if auth.dkim == "pass" and any(registered_domain(d) == org for d in auth.dkim_domains):
        return True
    return auth.spf == "pass" and auth.spf_domain is not None and registered_domain(auth.spf_domain) == org
