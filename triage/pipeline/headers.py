"""Cheap header reading for messages we will not (or cannot) fully parse."""

from __future__ import annotations

import email
import email.policy
import re

from triage.parse import decode_value

MAX_HEADER_BYTES = 256 * 1024
# the email package's own rules (email.feedparser): a line that starts a header or continues one,
# and its line breaks (CRLF, CR or LF, kept on the line)
HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


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


def headers_named(block: bytes, names: frozenset[str]) -> list[tuple[str, str]]:
    """``header_pairs`` of the headers whose lowercased name is in ``names`` only, in order.

    The archive step wants two headers of every message: this reads the header lines with the
    email package's rules (``email.feedparser``: which lines are headers, continuations, an
    envelope "From " line, where the headers end) and decodes only the wanted values, at a
    fraction of the cost of building the message and decoding every header.
    """
    try:
        text = block.decode("ascii", "surrogateescape")
        lines: list[str] = []
        for line in LINE.findall(text):
            if not HEADER_LINE.match(line):
                break  # the empty line, or the first line of a body without one
            lines.append(line)
        found: list[tuple[str, str]] = []
        name, value = "", [""]
        for line in lines:
            if line[0] in " \t":
                if name:
                    value.append(line)
                continue  # a continuation before any header is dropped
            if name and name.lower() in names:
                found.append(_pair(value))
            name = ""
            if line.startswith("From "):
                continue  # an envelope line: not a header
            name, value = line[: line.find(":")], [line]  # no name before the colon: not a header either
        if name and name.lower() in names:
            found.append(_pair(value))
        return found
    except Exception:
        return [(k, v) for k, v in header_pairs(block) if k.lower() in names]


def _pair(lines: list[str]) -> tuple[str, str]:
    """What ``header_pairs`` gives for one header's source lines (compat32's parse and fetch)."""
    name, value = email.policy.compat32.header_source_parse(lines)
    return str(name), decode_value(email.policy.compat32.header_fetch_parse(name, value))
