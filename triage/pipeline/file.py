"""Step: map the parsed mail and the extraction onto ``store`` rows (Ticket, TicketField, TicketMessage).

This is the only place nlp results meet store models, which keeps ``store`` free of nlp.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlmodel import Session

from nlp.types import FIELDS, Extraction, Signal
from store.blocklist import blocked_reason
from store.corrections import compute_due_at
from store.models import RawMessage, Ticket, utcnow
from store.tickets import TicketDraft, set_fields
from triage import completeness
from triage.parse import ParsedMail

MAX_BODY_CHARS = 1_000_000
TICKET_FIELDS = ("language", "agency", "country", "region", "request_type", "deadline", "statutory_deadline",
                 "case_reference", "legal_basis", "targets", "sender_verified")
TRUE_FLAGS = ("emergency", "non_disclosure")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def apply_extraction(
    session: Session, ticket: Ticket, result: Extraction, *, fill_only: bool, new_ticket: bool = False
) -> None:
    """Copy extracted values onto the ticket and its TicketField rows.

    A new ticket takes every value; a follow-up only fills what is still unknown, and can
    raise ``emergency`` but never lower it. ``new_ticket``: created in this transaction (no field rows yet).
    """
    apply_values(ticket, result, fill_only=fill_only)
    assert ticket.id is not None
    store_fields(session, ticket.id, result, fill_only=fill_only, new_ticket=new_ticket)


def apply_values(ticket: Ticket | TicketDraft, result: Extraction, *, fill_only: bool) -> None:
    """The ticket's own columns from the extraction (no statement: a new ticket is inserted with them)."""
    for name in TICKET_FIELDS:
        value = getattr(result, name)
        current = getattr(ticket, name)
        if fill_only and current not in (None, [], ""):
            continue
        if value in (None, []) and fill_only:
            continue
        setattr(ticket, name, list(value) if isinstance(value, list) else value)
    for name in TRUE_FLAGS:
        if getattr(result, name):
            setattr(ticket, name, True)
    if not fill_only or not ticket.signals:
        ticket.signals = [asdict(s) for s in result.signals]
    if not fill_only or not ticket.completeness:
        ticket.completeness = completeness.check(result)
    ticket.due_at = compute_due_at(ticket.deadline, ticket.statutory_deadline)


def store_fields(session: Session, ticket_id: int, result: Extraction, *, fill_only: bool, new_ticket: bool) -> None:
    """The TicketField rows of the extraction (machine value, confidence, evidence)."""
    values = {}
    for name in FIELDS:
        value = getattr(result, name)
        if fill_only and value in (None, [], False):
            continue
        evidence = [e.to_json() for e in result.evidence.get(name, ())]
        values[name] = (_json_value(value), result.confidence.get(name), evidence)
    set_fields(session, ticket_id, values, new_ticket=new_ticket)


def flag_for_review(ticket: Ticket | TicketDraft, reasons: list[str]) -> None:
    """Add reasons to the ticket's manual-review flag (keeping earlier ones)."""
    if not reasons:
        return
    ticket.needs_review = True
    known = [r for r in (ticket.review_reason or "").split("; ") if r]
    ticket.review_reason = "; ".join(dict.fromkeys([*known, *reasons]))[:10_000]


def flag_blocked_sender(session: Session, ticket: Ticket | TicketDraft, address: str) -> str | None:
    """A blocked sender's mail is filed (evidence) but flagged, with a high-severity signal; returns the reason."""
    reason = blocked_reason(session, address) if address else None
    if reason is None:
        return None
    flag_for_review(ticket, [reason])
    signals = [s for s in (ticket.signals or []) if s.get("code") != "blocked_sender"]
    ticket.signals = [*signals, asdict(Signal("blocked_sender", reason, "high", {"address": address}))]
    return reason


def inbound_message(
    ticket: Ticket, raw: RawMessage, parsed: ParsedMail, mail_class: str, result: Extraction | None,
    error: str | None,
) -> dict[str, Any]:
    """The thread entry of one received message: the columns of its ``TicketMessage`` row."""
    assert ticket.id is not None
    return {
        "ticket_id": ticket.id,
        "direction": "inbound",
        "raw_message_id": raw.id,
        "outbox_id": None,
        "mail_class": mail_class,
        "message_id": parsed.message_id,
        "in_reply_to": " ".join(parsed.in_reply_to) or None,
        "references": " ".join(parsed.references) or None,
        "from_address": parsed.from_address[:320] or None,
        "to_addresses": ", ".join(parsed.to + parsed.cc) or None,
        "subject": parsed.subject,
        "date": parsed.date,
        "created_at": utcnow(),
        "author": None,
        "body_text": (parsed.text or "")[:MAX_BODY_CHARS],
        "body_html": (parsed.html or "")[:MAX_BODY_CHARS] or None,
        "headers": [[k, v] for k, v in parsed.headers],
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": len(a.data)}
                        for a in parsed.attachments],
        "extraction": result.to_json() if result is not None else None,
        "error": error,
    }
