"""Cheap header reading for messages we will not (or cannot) fully parse."""

from __future__ import annotations

import email
import email.policy

from triage.parse import decode_value

MAX_HEADER_BYTES = 256 * 1024


def header_block(raw: bytes) -> bytes:
    """The bytes up to the first empty line, capped so a huge message costs nothing."""
    head = raw[:MAX_HEADER_BYTES]
    for sep in (b"\r\n\r\n", b"\n\n"):
        pos = head.find(sep)
        if pos >= 0:
            return head[: pos + len(sep)]
    return head


def header_pairs(block: bytes) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs of a header block; empty when unreadable."""
    try:
        msg = email.message_from_bytes(block, policy=email.policy.compat32)
        return [(str(k), decode_value(v)) for k, v in msg.items()]
    except Exception:
        return []
