"""Limits on what one message may cost to parse, and a MIME walk that honours them.

The mailbox address is public: a message may nest MIME ten thousand levels deep, carry ten
thousand parts or a 100 MB attachment. The walk here visits the parsed tree iteratively
(no recursion), stops counting at the limits and never decodes a part it will not keep, so
memory and time stay bounded. Attachments are kept as received: nothing is decompressed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.settings import Settings

MiB = 1024 * 1024


@dataclass(frozen=True)
class ParseLimits:
    """Ceilings per message; a message over one is still returned, with the limit named in its errors."""

    max_message_bytes: int = 50 * MiB
    max_parts: int = 1000
    max_depth: int = 25
    max_headers: int = 1000
    max_header_chars: int = 64 * 1024
    max_attachments: int = 100
    max_attachment_bytes: int = 40 * MiB
    max_body_chars: int = 2_000_000
    max_text_chars: int = 200_000
    max_html_chars: int = 1_000_000

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseLimits:
        return cls(
            max_message_bytes=settings.max_message_bytes,
            max_parts=settings.max_mime_parts,
            max_depth=settings.max_mime_depth,
            max_headers=settings.max_header_count,
            max_header_chars=settings.max_header_chars,
            max_attachments=settings.max_attachments,
            max_attachment_bytes=settings.max_attachment_bytes,
            max_body_chars=settings.max_body_chars,
            max_text_chars=settings.max_text_chars,
            max_html_chars=settings.max_html_chars,
        )


@dataclass
class Shape:
    """What a cheap pass over the parsed tree found, before anything is decoded."""

    parts: int = 0
    depth: int = 0
    attachments: int = 0
    attachment_bytes: int = 0  # estimated decoded size
    over: list[str] = field(default_factory=list)


def encoded_size(part: Message) -> int:
    """Size of a leaf's payload as stored (no decoding, no copy)."""
    payload = part._payload  # type: ignore[attr-defined]
    return len(payload) if isinstance(payload, str | bytes) else 0


def estimated_decoded_size(part: Message) -> int:
    size = encoded_size(part)
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    return size * 3 // 4 if cte == "base64" else size


def is_attachment(part: Message) -> bool:
    """A leaf that is not body text: named, marked as attachment, or of a non-text type."""
    if part.get_filename() or part.get_content_disposition() == "attachment":
        return True
    return part.get_content_type() not in ("text/plain", "text/html")


def walk(msg: Message, max_parts: int, max_depth: int) -> Iterator[tuple[Message, int]]:
    """Every part with its depth, depth-first in document order, within the limits."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < max_parts:
        part, depth = stack.pop()
        seen += 1
        yield part, depth
        if depth >= max_depth:
            continue
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))


def measure(msg: Message, limits: ParseLimits) -> Shape:
    """Count parts, depth and attachments one past each limit, to say which limit was hit."""
    shape = Shape()
    for part, depth in walk(msg, limits.max_parts + 1, limits.max_depth + 1):
        shape.parts += 1
        shape.depth = max(shape.depth, depth)
        if not part.is_multipart() and is_attachment(part):
            shape.attachments += 1
            shape.attachment_bytes += estimated_decoded_size(part)
    if shape.parts > limits.max_parts:
        shape.over.append(f"limit: more than {limits.max_parts} MIME parts; the rest were not read")
    if shape.depth > limits.max_depth:
        shape.over.append(f"limit: MIME nesting deeper than {limits.max_depth}; deeper parts were not read")
    if shape.attachments > limits.max_attachments:
        shape.over.append(
            f"limit: {shape.attachments} attachments, over {limits.max_attachments}; the rest were not decoded"
        )
    if shape.attachment_bytes > limits.max_attachment_bytes:
        shape.over.append(
            f"limit: attachments total about {shape.attachment_bytes} bytes, over "
            f"{limits.max_attachment_bytes}; the rest were not decoded"
        )
    return shape


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]
