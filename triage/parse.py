"""Raw bytes to a :class:`ParsedMail`: headers, threading ids, bodies and attachments.

mail-parser does the work; when it raises on a broken structure, the standard library's
lenient parser takes over, and when that fails too the message is still returned with the
error stated, so that filing never depends on parsing.
"""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import mailparser

from nlp.types import Attachment, MessageInput

log = logging.getLogger(__name__)
MSGID_RE = re.compile(r"<[^<>\s]+>")


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

    def header(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    def first(self, name: str) -> str | None:
        values = self.header(name)
        return values[0] if values else None

    def to_input(self) -> MessageInput:
        return MessageInput(
            subject=self.subject,
            from_address=self.from_address,
            from_name=self.from_name,
            reply_to=tuple(self.reply_to),
            to=tuple(self.to + self.cc),
            headers=tuple(self.headers),
            text=self.text,
            html=self.html,
            attachments=tuple(self.attachments),
            date=self.date,
            received_at=self.received_at,
        )


def decode_value(value: object) -> str:
    """Decode RFC 2047 words; undecodable bytes become U+FFFD rather than an exception."""
    raw = str(value)
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw.encode("utf-8", "replace").decode("utf-8", "replace")


def _msgids(value: str | None) -> list[str]:
    return MSGID_RE.findall(value or "")


def _to_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def parse_date(value: str | None) -> datetime | None:
    """An RFC 5322 date as aware UTC, or None when absent or unreadable."""
    if not value:
        return None
    try:
        return _to_utc(parsedate_to_datetime(value.strip()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def top_received_time(headers: list[tuple[str, str]]) -> datetime | None:
    """The time stamped by the top-most Received header (our own MTA)."""
    for k, v in headers:
        if k.lower() == "received" and ";" in v:
            return parse_date(v.rsplit(";", 1)[1])
    return None


def _addresses(values: list[str]) -> list[str]:
    return [a.lower() for _, a in getaddresses(values) if "@" in a]


def _fill_headers(pm: ParsedMail, msg: Message) -> None:
    pm.headers = [(str(k), decode_value(v)) for k, v in msg.items()]
    ids = _msgids(pm.first("Message-ID"))
    pm.message_id = ids[0] if ids else None
    pm.in_reply_to = _msgids(pm.first("In-Reply-To"))
    pm.references = _msgids(" ".join(pm.header("References")))
    pm.subject = " ".join((pm.first("Subject") or "").split())
    name, addr = parseaddr(pm.first("From") or "")
    pm.from_name, pm.from_address = name, addr.lower()
    pm.reply_to = _addresses(pm.header("Reply-To"))
    pm.to = _addresses(pm.header("To"))
    pm.cc = _addresses(pm.header("Cc"))
    pm.date = parse_date(pm.first("Date"))
    pm.received_at = top_received_time(pm.headers)
    pm.content_type = msg.get_content_type()


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


def _bodies_from_stdlib(pm: ParsedMail, msg: Message) -> None:
    """Lenient walk of the MIME tree with the standard library."""
    texts: list[str] = []
    htmls: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = part.get_filename()
        try:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        except Exception as exc:  # broken transfer encodings
            pm.errors.append(f"undecodable part {ctype}: {exc}")
            continue
        if filename or part.get_content_disposition() == "attachment" or ctype not in ("text/plain", "text/html"):
            pm.attachments.append(Attachment(decode_value(filename) if filename else None, ctype, data))
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = data.decode(charset, "replace")
        except LookupError:
            pm.errors.append(f"unknown charset {charset!r}")
            text = data.decode("utf-8", "replace")
        (htmls if ctype == "text/html" else texts).append(text)
    pm.text = "\n\n".join(texts) or None
    pm.html = "\n\n".join(htmls) or None


def parse_bytes(raw: bytes) -> ParsedMail:
    """Parse a raw message; never raises. Errors are listed in ``ParsedMail.errors``."""
    pm = ParsedMail()
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        _fill_headers(pm, msg)
    except Exception as exc:
        pm.errors.append(f"unreadable headers: {type(exc).__name__}: {exc}")
        return pm
    try:
        mp = mailparser.parse_from_bytes(raw)
        pm.text = "\n\n".join(mp.text_plain) or None
        pm.html = "\n\n".join(mp.text_html) or None
        pm.attachments = [_attachment_from_mailparser(a) for a in mp.attachments]
    except Exception as exc:
        log.info("mail-parser failed (%s: %s); using the lenient parser", type(exc).__name__, exc)
        pm.errors.append(f"structure: {type(exc).__name__}: {exc}")
        try:
            _bodies_from_stdlib(pm, msg)
        except Exception as exc2:
            pm.errors.append(f"body unreadable: {type(exc2).__name__}: {exc2}")
    return pm
