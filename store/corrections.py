"""Reviewer corrections: validate a value, keep it beside the machine value, update the ticket, audit.

The machine value in ``TicketField`` is never overwritten, so the export of corrections can
pair what the extractor said with what a reviewer decided.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time
from typing import Any

import pycountry
from sqlmodel import Session, select

from store.audit import record
from store.models import REQUEST_TYPES, Ticket, TicketField, utcnow

log = logging.getLogger(__name__)

CORRECTABLE = (
    "agency",
    "country",
    "region",
    "request_type",
    "emergency",
    "deadline",
    "statutory_deadline",
    "case_reference",
    "legal_basis",
    "targets",
    "non_disclosure",
    "sender_verified",
    "language",
)
BOOL_FIELDS = ("emergency", "non_disclosure")
LIST_FIELDS = ("legal_basis", "targets")
TEXT_LIMIT = 500


class CorrectionError(ValueError):
    """The value offered for a field is not valid; the message says why, for the reviewer."""


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _country(raw: str) -> str:
    code = raw.strip().upper()
    if code == "EU" or (len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None):
        return code
    raise CorrectionError(f"{raw!r} is not an ISO 3166-1 alpha-2 country code")


def _region(raw: str) -> str:
    code = raw.strip().upper()
    if pycountry.subdivisions.get(code=code) is None:
        raise CorrectionError(f"{raw!r} is not an ISO 3166-2 subdivision code")
    return code


def _bool(raw: Any, allow_none: bool) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if raw is not None else ""
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    if allow_none and text in ("", "none", "null", "unknown"):
        return None
    raise CorrectionError(f"{raw!r} is not yes or no")


def _date(raw: Any) -> str:
    try:
        return date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise CorrectionError(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _datetime(raw: Any) -> str:
    try:
        dt = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise CorrectionError(f"{raw!r} is not a date and time (YYYY-MM-DDTHH:MM, UTC)") from None
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat()


def _list(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else re.split(r"[\n;]+", str(raw))
    out = [str(i).strip() for i in items if str(i).strip()]
    if any(len(i) > TEXT_LIMIT for i in out) or len(out) > 100:
        raise CorrectionError("too many or too long items")
    return out


def _text(raw: Any) -> str:
    text = " ".join(str(raw).split())
    if "\x00" in text:  # PostgreSQL text cannot hold NUL; refused on SQLite too, for one behaviour
        raise CorrectionError("contains a NUL character")
    if len(text) > TEXT_LIMIT:
        raise CorrectionError(f"longer than {TEXT_LIMIT} characters")
    return text


def validate(name: str, raw: Any) -> Any:
    """The JSON value to store for ``name``, or CorrectionError. Empty means 'none stated'."""
    if name not in CORRECTABLE:
        raise CorrectionError(f"{name!r} cannot be corrected")
    if name in BOOL_FIELDS:
        return _bool(raw, allow_none=False)
    if name == "sender_verified":
        return _bool(raw, allow_none=True)
    if name in LIST_FIELDS:
        return [] if _blank(raw) else _list(raw)
    if _blank(raw):
        if name == "request_type":
            raise CorrectionError("choose a request type")
        return None
    if name == "country":
        return _country(str(raw))
    if name == "region":
        return _region(str(raw))
    if name == "request_type":
        if str(raw) not in REQUEST_TYPES:
            raise CorrectionError(f"{raw!r} is not a request type")
        return str(raw)
    if name == "deadline":
        return _date(raw)
    if name == "statutory_deadline":
        return _datetime(raw)
    if name == "language":
        code = str(raw).strip().lower()
        if pycountry.languages.get(alpha_2=code) is None:
            raise CorrectionError(f"{raw!r} is not an ISO 639-1 language code")
        return code
    return _text(raw)


def _to_ticket_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "deadline":
        return date.fromisoformat(value)
    if name == "statutory_deadline":
        return datetime.fromisoformat(value)
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def compute_due_at(deadline: date | None, statutory: datetime | None) -> datetime | None:
    """The earliest moment the ticket is due: a statutory deadline, or the end of the stated day (UTC)."""
    candidates: list[datetime] = []
    if statutory is not None:
        candidates.append(statutory if statutory.tzinfo else statutory.replace(tzinfo=UTC))
    if deadline is not None:
        candidates.append(datetime.combine(deadline, time(23, 59, 59), tzinfo=UTC))
    return min(candidates) if candidates else None


def apply_correction(session: Session, ticket: Ticket, name: str, raw: Any, actor: str) -> Any:
    """Validate and apply one correction; returns the stored value. No-op when unchanged."""
    value = validate(name, raw)
    assert ticket.id is not None
    old = _json_value(getattr(ticket, name))
    if old == value:
        return value
    tf = session.exec(select(TicketField).where(TicketField.ticket_id == ticket.id, TicketField.name == name)).first()
    if tf is None:
        tf = TicketField(ticket_id=ticket.id, name=name, machine_value=None, confidence=None, evidence=[])
    tf.corrected_value = value
    tf.corrected = True
    tf.corrected_by = actor
    tf.corrected_at = utcnow()
    session.add(tf)
    setattr(ticket, name, _to_ticket_value(name, value))
    if name in ("deadline", "statutory_deadline"):
        ticket.due_at = compute_due_at(ticket.deadline, ticket.statutory_deadline)
    ticket.updated_at = utcnow()
    session.add(ticket)
    record(session, "field_corrected", actor=actor, ticket_id=ticket.id, field=name, old=old, new=value)
    log.info("ticket %s: %s corrected by %s", ticket.reference, name, actor)
    return value
