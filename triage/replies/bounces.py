"""Bounces: how final they are, and which of our messages they return (for threading).

A delivery report is filed on the ticket of the message it returns, found through the
Message-ID of the original embedded as ``message/rfc822``, ``text/rfc822-headers`` or an
inline copy (checklist rule 9: thread it, do not answer it).
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import Message

from triage.parse import ParsedMail

MSGID_RE = re.compile(r"<[^<>\s]+>")
HEADER_MSGID_RE = re.compile(r"^message-id:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
DSN_STATUS_RE = re.compile(r"^\s*status:\s*([245])\.\d{1,3}\.\d{1,3}", re.IGNORECASE | re.MULTILINE)
DSN_ACTION_RE = re.compile(r"^\s*action:\s*(\w+)", re.IGNORECASE | re.MULTILINE)


def _clean(value: str) -> str:
    return " ".join(value.split()).lower()


def bounce_kind(parsed: ParsedMail) -> str:
    """bounce_transient for a delay (DSN status 4.x.x, action delayed), else bounce_permanent."""
    texts = [parsed.text or ""]
    texts += [a.data.decode("utf-8", "replace") for a in parsed.attachments if a.content_type.startswith("message/")]
    blob = "\n".join(texts)
    statuses = set(DSN_STATUS_RE.findall(blob))
    actions = {a.lower() for a in DSN_ACTION_RE.findall(blob)}
    if "5" in statuses or "failed" in actions:
        return "bounce_permanent"
    if statuses == {"4"} or "delayed" in actions or "(delay)" in _clean(parsed.subject):
        return "bounce_transient"
    return "bounce_permanent"


def _ids_in_headers(text: str) -> list[str]:
    return HEADER_MSGID_RE.findall(text)


def _part_ids(part: Message) -> list[str]:
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            return MSGID_RE.findall(str(inner[0].get("Message-ID", "")))
        return []
    if ctype == "text/rfc822-headers" or (ctype == "text/plain" and part.get_filename() is None):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        return _ids_in_headers(text)
    return []


def bounce_original_ids(raw: bytes) -> list[str]:
    """Message-IDs of the original message embedded in a bounce (DSN or inline copy); never raises."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        own = set(MSGID_RE.findall(str(msg.get("Message-ID", ""))))
        found: list[str] = []
        parts = list(msg.walk()) if msg.is_multipart() else [msg]
        for part in parts[:200]:
            if part is msg and msg.is_multipart():
                continue
            for mid in _part_ids(part) if part is not msg else _ids_in_headers(_body_text(msg)):
                if mid not in own and mid not in found:
                    found.append(mid)
        return found
    except Exception:
        return []


def _body_text(msg: Message) -> str:
    payload = msg.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
