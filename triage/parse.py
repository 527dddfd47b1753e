"""Raw bytes to a :class:`ParsedMail`: headers, threading ids, bodies and attachments.

The standard library parses the tree once; :mod:`triage.mime_limits` measures it before
anything is decoded. A message within the limits goes to mail-parser, which knows many
real-world quirks; a message over one is read by a bounded walk that stops at the limits.
Every string is made storable (no NUL, valid UTF-8). Whatever fails, the message is still
returned with the errors stated, so filing never depends on parsing.
"""

from __future__ import annotations

import base64
import copy
import email
import email.policy
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr

import mailparser

from nlp.types import Attachment, MessageInput
from triage.mailtext import MSGID_RE, addresses, decode_value, msgids, parse_date, storable, top_received_time
from triage.mime_limits import ParseLimits, clip, estimated_decoded_size, is_attachment, measure, walk

__all__ = [
    "MSGID_RE",
    "ParseLimits",
    "ParsedMail",
    "decode_value",
    "parse_bytes",
    "parse_date",
    "storable",
    "top_received_time",
]

log = logging.getLogger(__name__)
HEADER_BLOCK_MAX = 4 * 1024 * 1024  # bytes scanned for headers when the body is not parsed
LIMIT = "limit: "  # prefix of every error that names an exceeded limit


@dataclass
class ParsedMail:
    """What the pipeline needs of a message; every field has a safe empty value."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: datetime | None = None
    received_at: datetime | None = None
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    content_type: str = "text/plain"
    errors: list[str] = field(default_factory=list)
    limits: ParseLimits = field(default_factory=ParseLimits, repr=False, compare=False)

    def header(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    def first(self, name: str) -> str | None:
        values = self.header(name)
        return values[0] if values else None

    @property
    def limit_errors(self) -> list[str]:
        """The errors that name an exceeded limit: such a message deserves a human look."""
        return [e for e in self.errors if e.startswith(LIMIT)]

    def to_input(self) -> MessageInput:
        """The extractor's input; text and HTML are cut to the NLP limits."""
        return MessageInput(
            subject=self.subject,
            from_address=self.from_address,
            from_name=self.from_name,
            reply_to=tuple(self.reply_to),
            to=tuple(self.to + self.cc),
            headers=tuple(self.headers),
            text=clip(self.text, self.limits.max_text_chars) if self.text else self.text,
            html=clip(self.html, self.limits.max_html_chars) if self.html else self.html,
            attachments=tuple(self.attachments),
            date=self.date,
            received_at=self.received_at,
        )


def _read_headers(pm: ParsedMail, msg: Message, limits: ParseLimits) -> bool:
    """Headers within the count and length limits; True when a limit was hit."""
    items = list(msg.raw_items())  # raw: 8-bit bytes still as surrogate escapes, recovered by storable()
    over = False
    if len(items) > limits.max_headers:
        pm.errors.append(f"{LIMIT}{len(items)} header fields, over {limits.max_headers}; the rest were not read")
        items, over = items[: limits.max_headers], True
    headers: list[tuple[str, str]] = []
    for k, v in items:
        value = str(v)
        if len(value) > limits.max_header_chars:
            pm.errors.append(f"{LIMIT}header {str(k)[:60]!r} is {len(value)} chars, cut to {limits.max_header_chars}")
            value, over = value[: limits.max_header_chars], True
        headers.append((storable(str(k)), storable(decode_value(value))))
    pm.headers = headers
    return over


def _fill_headers(pm: ParsedMail, msg: Message, limits: ParseLimits) -> bool:
    over = _read_headers(pm, msg, limits)
    ids = msgids(pm.first("Message-ID"))
    pm.message_id = ids[0] if ids else None
    pm.in_reply_to = msgids(pm.first("In-Reply-To"))
    pm.references = msgids(" ".join(pm.header("References")))
    pm.subject = " ".join((pm.first("Subject") or "").split())
    _fill_addresses(pm, msg)
    pm.date = parse_date(pm.first("Date"))
    pm.received_at = top_received_time(pm.headers)
    pm.content_type = msg.get_content_type()
    return over


def _raw_values(msg: Message, name: str) -> list[str]:
    """Header values before RFC 2047 decoding: a decoded display name may hold commas or brackets."""
    return [str(v)[:MAX_ADDRESS_HEADER] for v in msg.get_all(name) or []]


def _fill_addresses(pm: ParsedMail, msg: Message) -> None:
    """From, Reply-To, To, Cc; a pathological value (the parser recurses on nested comments) is dropped."""
    try:
        raw_from = _raw_values(msg, "From")
        name, addr = parseaddr(raw_from[0] if raw_from else "")
        pm.from_name, pm.from_address = storable(decode_value(name)), addr.lower()
        pm.reply_to = addresses(_raw_values(msg, "Reply-To"))
        pm.to = addresses(_raw_values(msg, "To"))
        pm.cc = addresses(_raw_values(msg, "Cc"))
    except (RecursionError, ValueError, IndexError) as exc:
        pm.errors.append(f"unreadable address header: {type(exc).__name__}")


MAX_ADDRESS_HEADER = 64 * 1024


def _headers_only(raw: bytes) -> Message:
    """The header block alone, parsed without touching the body (no recursion, bounded copy)."""
    cap = min(len(raw), HEADER_BLOCK_MAX)
    ends = [i for i in (raw.find(b"\r\n\r\n", 0, cap), raw.find(b"\n\n", 0, cap)) if i >= 0]
    end = min(ends) if ends else cap
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[:end])


def _attachment_from_mailparser(att: dict) -> Attachment:
    payload = att.get("payload") or ""
    if att.get("binary"):
        try:
            data = base64.b64decode(payload)
        except ValueError:
            data = payload.encode("latin-1", "replace")
    else:
        data = payload.encode("utf-8", "replace")
    return Attachment(att.get("filename"), att.get("mail_content_type") or "application/octet-stream", data)


# The only headers mail-parser reads to find and decode bodies and attachments (see _body_view).
MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-id", "content-transfer-encoding"})


def _body_view(msg: Message) -> Message:
    """The message as mail-parser needs it for bodies: the same parts, only the top-level MIME headers.

    mail-parser also parses every address, date and Received header of the message it is given
    (about a third of its time), for results we never read: ``_fill_headers`` reads those itself.
    """
    view = copy.copy(msg)  # shallow: the same payload, parts, preamble, epilogue and defects
    view._headers = [(k, v) for k, v in msg._headers if k.lower() in MIME_HEADERS]  # type: ignore[attr-defined]
    return view


def _bodies_from_mailparser(pm: ParsedMail, msg: Message) -> None:
    mp = mailparser.MailParser(_body_view(msg))
    pm.text = "\n\n".join(mp.text_plain) or None
    pm.html = "\n\n".join(mp.text_html) or None
    pm.attachments = [_attachment_from_mailparser(a) for a in mp.attachments]


def _decoded(pm: ParsedMail, part: Message) -> bytes | None:
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:  # broken transfer encodings
        pm.errors.append(f"undecodable part {part.get_content_type()}: {type(exc).__name__}: {exc}")
        return None
    return payload if isinstance(payload, bytes) else b""


def _as_text(pm: ParsedMail, part: Message, data: bytes) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except (LookupError, ValueError):
        pm.errors.append(f"unknown charset {charset[:60]!r}")
        return data.decode("utf-8", "replace")


def _bodies_limited(pm: ParsedMail, msg: Message, limits: ParseLimits) -> None:
    """Bodies and attachments within the limits; parts past a limit are skipped, not decoded."""
    texts: list[str] = []
    htmls: list[str] = []
    chars = att_bytes = skipped = 0
    for part, _depth in walk(msg, limits.max_parts, limits.max_depth):
        if part.is_multipart():
            continue
        if is_attachment(part):
            size = estimated_decoded_size(part)
            if len(pm.attachments) >= limits.max_attachments or att_bytes + size > limits.max_attachment_bytes:
                skipped += 1
                continue
            data = _decoded(pm, part)
            if data is not None:
                att_bytes += len(data)
                filename = part.get_filename()
                pm.attachments.append(
                    Attachment(decode_value(filename) if filename else None, part.get_content_type(), data)
                )
            continue
        if chars >= limits.max_body_chars:
            continue
        data = _decoded(pm, part)
        if data is not None:
            text = clip(_as_text(pm, part, data), limits.max_body_chars - chars)
            chars += len(text)
            (htmls if part.get_content_type() == "text/html" else texts).append(text)
    if skipped:
        log.info("skipped %d attachments over the limits", skipped)
    pm.text = "\n\n".join(texts) or None
    pm.html = "\n\n".join(htmls) or None


def _note_body_limits(pm: ParsedMail, limits: ParseLimits) -> None:
    for name in ("text", "html"):
        body: str | None = getattr(pm, name)
        if body and len(body) > limits.max_body_chars:
            pm.errors.append(f"{LIMIT}{name} body is {len(body)} chars, cut to {limits.max_body_chars}")
            setattr(pm, name, body[: limits.max_body_chars])
    if pm.text and len(pm.text) > limits.max_text_chars:
        pm.errors.append(f"{LIMIT}text is {len(pm.text)} chars; extraction reads the first {limits.max_text_chars}")


def _make_storable(pm: ParsedMail) -> None:
    """Replace NUL and invalid UTF-8 everywhere; say so once."""
    before = (pm.headers, pm.subject, pm.from_name, pm.text, pm.html)
    pm.headers = [(storable(k), storable(v)) for k, v in pm.headers]
    pm.subject, pm.from_name, pm.from_address = storable(pm.subject), storable(pm.from_name), storable(pm.from_address)
    pm.reply_to, pm.to, pm.cc = ([storable(a) for a in xs] for xs in (pm.reply_to, pm.to, pm.cc))
    pm.text = storable(pm.text) if pm.text else pm.text
    pm.html = storable(pm.html) if pm.html else pm.html
    pm.content_type = storable(pm.content_type)
    pm.attachments = [
        replace(a, filename=storable(a.filename) if a.filename else a.filename, content_type=storable(a.content_type))
        for a in pm.attachments
    ]
    if before != (pm.headers, pm.subject, pm.from_name, pm.text, pm.html):
        pm.errors.append("NUL bytes or invalid characters replaced by U+FFFD")


def _parse_into(pm: ParsedMail, raw: bytes, limits: ParseLimits) -> None:
    if len(raw) > limits.max_message_bytes:
        pm.errors.append(f"{LIMIT}message is {len(raw)} bytes, over {limits.max_message_bytes}; only headers were read")
        _fill_headers(pm, _headers_only(raw), limits)
        return
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError:
        pm.errors.append(f"{LIMIT}MIME nesting too deep to parse (over {limits.max_depth}); only headers were read")
        _fill_headers(pm, _headers_only(raw), limits)
        return
    headers_over = _fill_headers(pm, msg, limits)
    shape = measure(msg, limits)
    pm.errors.extend(shape.over)
    if shape.over or headers_over:
        _bodies_limited(pm, msg, limits)
    else:
        try:
            _bodies_from_mailparser(pm, msg)
        except Exception as exc:
            log.info("mail-parser failed (%s: %s); using the lenient parser", type(exc).__name__, exc)
            pm.errors.append(f"structure: {type(exc).__name__}: {exc}")
            pm.text = pm.html = None
            pm.attachments = []
            try:
                _bodies_limited(pm, msg, limits)
            except Exception as exc2:
                pm.errors.append(f"body unreadable: {type(exc2).__name__}: {str(exc2)[:200]}")
    _note_body_limits(pm, limits)


def parse_bytes(raw: bytes, limits: ParseLimits | None = None) -> ParsedMail:
    """Parse a raw message within ``limits`` (defaults when omitted); never raises.

    Errors, including every exceeded limit (prefixed ``limit:``), are listed in ``ParsedMail.errors``.
    """
    limits = limits or ParseLimits()
    pm = ParsedMail(limits=limits)
    try:
        _parse_into(pm, raw, limits)
    except Exception as exc:
        log.warning("parse failed: %s: %s", type(exc).__name__, exc)
        stage = "body unreadable" if pm.headers else "unreadable headers"
        pm.errors.append(f"{stage}: {type(exc).__name__}: {str(exc)[:200]}")
    try:
        _make_storable(pm)
    except Exception as exc:  # pragma: no cover - storable() handles every str
        pm.errors.append(f"unstorable: {type(exc).__name__}")
    return pm
