"""Our own Message-IDs: opaque, HMAC-signed tokens that carry the ticket reference.

A reply threads to its ticket through In-Reply-To/References even when the subject was edited,
and mail that carries one of our ids is recognized as ours (loop rule 10). The key is derived
from ``settings.secret_key`` for this purpose only, so a token cannot be replayed as a session
or CSRF value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from triage.settings import Settings

PREFIX = "le"
SIG_BYTES = 12
ID_RE = re.compile(r"^<?le\.([a-z2-7]+)\.([a-z2-7]+)@[^<>\s@]+>?$")
REFERENCE_RE = re.compile(r"^LE-\d{4}-\d{6}$")


def _key(settings: Settings) -> bytes:
    return _derived_key(settings.secret_key.get_secret_value().encode())


@lru_cache(maxsize=8)
def _derived_key(secret: bytes) -> bytes:
    """Derived once per secret, not once per Message-ID made or checked."""
    return hmac.new(secret, b"le-triage/message-id/v1", hashlib.sha256).digest()


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes:
    return base64.b32decode(text.upper() + "=" * (-len(text) % 8))


def _sign(settings: Settings, payload: str) -> str:
    return _b32(hmac.new(_key(settings), payload.encode(), hashlib.sha256).digest()[:SIG_BYTES])


def _domain(settings: Settings) -> str:
    domain = settings.from_address.rpartition("@")[2].strip().lower()
    return domain or "le-triage.invalid"


def new_message_id(settings: Settings, reference: str) -> str:
    """A fresh ``<le.<payload>.<signature>@<our domain>>``; payload = reference + random nonce."""
    payload = _b32(f"{reference}:{secrets.token_hex(8)}".encode())
    return f"<{PREFIX}.{payload}.{_sign(settings, payload)}@{_domain(settings)}>"


def _payload(settings: Settings, msgid: str) -> str | None:
    """The verified payload text of one of our ids, or None."""
    m = ID_RE.match(msgid.strip().lower())
    if not m:
        return None
    payload, sig = m.groups()
    if not hmac.compare_digest(sig, _sign(settings, payload)):
        return None
    try:
        return _unb32(payload).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def is_our_message_id(settings: Settings, msgid: str) -> bool:
    """True only for an id we generated with this secret (forged or altered ids fail)."""
    return _payload(settings, msgid) is not None


def reference_from_message_id(settings: Settings, msgid: str) -> str | None:
    """The ticket reference carried by one of our ids, or None."""
    payload = _payload(settings, msgid)
    if payload is None:
        return None
    reference = payload.rpartition(":")[0]
    return reference if REFERENCE_RE.match(reference) else None
