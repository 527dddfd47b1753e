"""Queue acknowledgments (and record decisions not to send one) in the caller's transaction.

The row is written with the ticket, so a crash either loses both or keeps both: the sender
loop (:mod:`triage.replies.sender`) delivers what is queued. The acknowledgment goes to the
``From`` address only, never ``Reply-To``, which forgers set to turn acks into backscatter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Session

from store.audit import NewEvent, record_many
from store.models import Outbox, Ticket, TicketMessage, utcnow
from triage.guidance.ack import completeness_note
from triage.parse import ParsedMail
from triage.replies.compose import build_message, render_ack, reply_subject, template_language, threading_references
from triage.replies.msgid import new_message_id
from triage.replies.outgoing import Outgoing
from triage.settings import Settings

log = logging.getLogger(__name__)


def _ensure_id(session: Session, ticket: Ticket) -> int:
    if ticket.id is None:
        session.add(ticket)
        session.flush()
    assert ticket.id is not None
    return ticket.id


@cache
def _thread_insert() -> Insert:
    """Built once: the same statement object each time is compiled once (SQLAlchemy's statement cache)."""
    return insert(TicketMessage.__table__)  # type: ignore[attr-defined]


@cache
def _outbox_insert() -> ReturningInsert[tuple[int]]:
    table: Table = Outbox.__table__  # type: ignore[attr-defined]
    return insert(table).returning(table.c.id)


@dataclass(frozen=True)
class Queued:
    """An outbox row as this module wrote it: a plain value, not a session object (building an
    ``Outbox`` model per acknowledgment cost more CPU than its INSERT). Read the row to change it."""

    id: int
    ticket_id: int
    kind: str
    status: str
    reason: str | None
    mailbox: str
    to_address: str | None
    from_address: str | None
    message_id: str | None
    subject: str
    raw: bytes | None
    next_attempt_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class Preceding:
    """Rows the caller still has to write, which come before this module's own: written WITH them, one
    statement per table instead of two (the filing's thread entry and audit event, per message)."""

    events: tuple[NewEvent, ...] = ()
    thread_rows: tuple[dict[str, Any], ...] = ()  # TicketMessage columns, raw_message_id included


def write_preceding(session: Session, pre: Preceding) -> None:
    """Write them alone, in their order (for a path that writes no rows of this module's)."""
    if pre.thread_rows:
        session.execute(_thread_insert(), list(pre.thread_rows))
    if pre.events:
        record_many(session, pre.events)


def _write_row(session: Session, ticket_id: int, mailbox: str, *, kind: str, status: str,
               to_address: str | None, reason: str | None = None, from_address: str | None = None,
               message_id: str | None = None, subject: str = "", raw: bytes | None = None,
               next_attempt_at: datetime | None = None) -> Queued:
    """One cached Core INSERT of every column, the values ``Outbox(...)`` would hold (its defaults
    included), without a unit-of-work flush of what else is pending."""
    due, created = next_attempt_at or utcnow(), utcnow()
    values = {
        "ticket_id": ticket_id, "kind": kind, "status": status, "reason": reason, "mailbox": mailbox,
        "to_address": to_address, "from_address": from_address, "message_id": message_id, "subject": subject,
        "raw": raw, "attempts": 0, "next_attempt_at": due, "last_error": None,
        "smtp_response": None, "created_at": created, "sent_at": None, "claimed_by": None, "claimed_until": None,
    }
    row_id = int(session.execute(_outbox_insert(), values).scalar_one())
    return Queued(row_id, ticket_id, kind, status, reason, mailbox, to_address, from_address, message_id, subject,
                  raw, due, created)


def write_outgoing(session: Session, settings: Settings, ticket: Ticket, msg: Outgoing, *, kind: str,
                   thread_before: Sequence[dict[str, Any]] = ()) -> Queued:
    """An Outbox row (queued) and its outbound TicketMessage for an already built message.

    ``thread_before``: thread entries to insert before the outbound one, in the same statement."""
    ticket_id = _ensure_id(session, ticket)
    now = utcnow()
    row = _write_row(session, ticket_id, ticket.mailbox, kind=kind, status="queued", to_address=msg.get("To"),
                     from_address=settings.from_address, message_id=msg.get("Message-ID"),
                     subject=msg.get("Subject") or "", raw=msg.raw, next_attempt_at=now)
    outbound = {  # a plain INSERT: nothing here needs the ORM object
        "ticket_id": ticket_id, "direction": "outbound", "raw_message_id": None, "outbox_id": row.id,
        "mail_class": "human", "message_id": row.message_id, "in_reply_to": msg.get("In-Reply-To"),
        "references": msg.get("References"), "from_address": settings.from_address, "to_addresses": row.to_address,
        "subject": row.subject, "date": now, "created_at": now, "author": "system", "body_text": msg.text,
        "body_html": None, "headers": [[k, v] for k, v in msg.headers], "attachments": [], "extraction": None,
        "error": None,
    }
    session.execute(_thread_insert(), [*thread_before, outbound] if thread_before else outbound)
    return row


def add_outgoing(
    session: Session, settings: Settings, ticket: Ticket, msg: Outgoing, *, kind: str
) -> Outbox:
    """``write_outgoing``, the row then attached to the session as a loaded ``Outbox`` (for callers that
    change it in the same transaction)."""
    written = write_outgoing(session, settings, ticket, msg, kind=kind)
    row = Outbox(**{f.name: getattr(written, f.name) for f in fields(Queued)})
    make_transient_to_detached(row)
    session.add(row)
    return row


def queue_ack(
    session: Session, settings: Settings, parsed: ParsedMail, ticket: Ticket, language: str | None,
    preceding: Preceding = Preceding(),
) -> Queued:
    """Compose the acknowledgment of ``ticket`` and queue it; the caller commits with the ticket.

    ``preceding``: the caller's rows, written first, each with this function's row of the same table."""
    note_lang = template_language(language)
    note = completeness_note(
        settings, lang=note_lang, reference=ticket.reference, request_type=ticket.request_type,
        completeness=ticket.completeness, emergency=ticket.emergency, sender_verified=ticket.sender_verified,
    )
    lang, body = render_ack(settings, ticket.reference, ticket.received_at, language, guidance=note)
    msg = build_message(
        settings,
        to=parsed.from_address,
        subject=reply_subject(parsed.subject or ticket.subject, ticket.reference),
        body=body,
        message_id=new_message_id(settings, ticket.reference),
        auto_submitted="auto-replied",
        in_reply_to=parsed.message_id,
        references=threading_references(parsed.references, parsed.message_id),
        language=lang,
    )
    row = write_outgoing(session, settings, ticket, msg, kind="ack", thread_before=preceding.thread_rows)
    queued = NewEvent("ack_queued", ticket_id=row.ticket_id, detail={"outbox_id": row.id, "language": lang})
    record_many(session, [*preceding.events, queued])
    log.info("ack queued: ticket=%s to=%s message_id=%s", ticket.reference, row.to_address, row.message_id)
    return row


def record_suppressed(session: Session, ticket: Ticket, reason: str, preceding: Preceding = Preceding()) -> Queued:
    """Record on the ticket that no acknowledgment was sent, and why (an Outbox row 'suppressed').

    ``preceding``: the caller's rows, written first (its audit events with this one's, in one statement)."""
    ticket_id = _ensure_id(session, ticket)
    if preceding.thread_rows:
        session.execute(_thread_insert(), list(preceding.thread_rows))
    row = _write_row(session, ticket_id, ticket.mailbox, kind="ack", status="suppressed", reason=reason,
                     to_address=ticket.sender_address)
    suppressed = NewEvent("ack_suppressed", ticket_id=ticket_id, detail={"outbox_id": row.id, "reason": reason})
    record_many(session, [*preceding.events, suppressed])
    log.info("ack suppressed: ticket=%s reason=%s", ticket.reference, reason)
    return row
