"""Header values made safe and typed: RFC 2047 decoding, storable strings, dates, addresses.

Header bytes come from anyone; each helper here returns a usable value or an empty one and
never raises, so one bad header cannot stop a message from being filed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime

MSGID_RE = re.compile(r"<[^<>\s]+>")


def storable(value: str) -> str:
    """``value`` without NUL and with valid UTF-8 only, so any database accepts it.

    Raw 8-bit header bytes arrive as surrogate escapes; they are read back as UTF-8, which is
    what most senders of raw 8-bit headers meant, else as Windows-1252.
    """
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")  # the usual 8-bit charset of unlabelled headers


def decode_value(value: object) -> str:
    """Decode RFC 2047 words; undecodable bytes become U+FFFD rather than an exception."""
    raw = storable(str(value))
    if "=?" not in raw:  # no encoded word: decoding would return the value as it is
        return raw
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw.encode("utf-8", "replace").decode("utf-8", "replace")


def msgids(value: str | None) -> list[str]:
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


def addresses(values: list[str]) -> list[str]:
    return [a.lower() for _, a in getaddresses(values) if "@" in a]
