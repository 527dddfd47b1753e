"""Mail-domain helpers: the sender's address and domain, registered domains, suffix matches."""

from __future__ import annotations

from collections.abc import Collection
from email.utils import getaddresses
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from nlp.types import MessageInput


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def sender_address(msg: MessageInput) -> str:
    """The From address; re-read from the header when the parsed one has no '@'.

    A decoded display name with a comma ("Albers, Henrike (StA Köln)") can fool a parser
    that splits after RFC 2047 decoding.
    """
    if "@" in msg.from_address:
        return msg.from_address.lower()
    for value in msg.header("From"):
        for _, addr in getaddresses([value]):
            if "@" in addr:
                return addr.lower()
        for token in value.replace("<", " ").replace(">", " ").split():
            if "@" in token:
                return token.strip(".,;\"'").lower()
    return msg.from_address.lower()


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(".").lower() if "@" in address else ""


def registered_domain(domain: str) -> str:
    """'cbzc.policja.gov.pl' -> 'policja.gov.pl' (Public Suffix List); the input when unknown."""
    domain = domain.lower().strip(".")
    if not domain:
        return ""
    return _psl().privatesuffix(domain) or domain


def under(domain: str, parent: str) -> bool:
    """True when ``domain`` is ``parent`` or one of its subdomains."""
    domain, parent = domain.lower().strip("."), parent.lower().strip(".")
    return bool(parent) and (domain == parent or domain.endswith("." + parent))


def label_suffixes(domain: str) -> list[str]:
    """'a.b.gov' -> ['a.b.gov', 'b.gov', 'gov']: every parent ``domain`` can be under, longest first."""
    labels = domain.lower().strip(".").split(".")
    return [s for s in (".".join(labels[i:]) for i in range(len(labels))) if s]


def under_any(domain: str, parents: Collection[str]) -> bool:
    """``under(domain, p)`` for some p in ``parents`` (lower-case, no outer dots): O(labels), not O(parents)."""
    return any(s in parents for s in label_suffixes(domain))
