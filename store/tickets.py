"""Tickets: human-friendly references, creation, lookup and extracted fields.

References are ``LE-<year>-<six digits>``, numbered per year from the ``reference_counter``
row. The counter is bumped with a single ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING``
statement, which takes the row lock on PostgreSQL and the write lock on SQLite, so two
concurrent transactions can never receive the same number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, TextClause, insert, text
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from store import audit
from store.models import Outbox, Ticket, TicketField, TicketMessage, utcnow

REFERENCE_RE = re.compile(r"\bLE-(\d{4})-(\d{6})\b")


def format_reference(year: int, number: int) -> str:
    return f"LE-{year:04d}-{number:06d}"


def allocate_reference(session: Session, year: int | None = None) -> str:
    """Next unique reference of ``year`` (default: this UTC year), in the caller's transaction."""
    year = year or utcnow().year
    number = session.execute(_bump_counter(), {"year": year}).scalar_one()
    audit.wrote(session)  # an upsert: SQLite's write lock is ours until the end of the transaction
    return format_reference(year, int(number))


@cache
def _bump_counter() -> TextClause:
    """The same upsert on SQLite and PostgreSQL; as text its compiled form is cached (the dialect
    on-conflict construct is compiled anew on every call: ~0.3 ms for each new ticket)."""
    return text(
        "INSERT INTO reference_counter (year, last) VALUES (:year, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = reference_counter.last + 1 RETURNING last"
    )


def references_in(text: str) -> list[str]:
    """Every ticket reference written in ``text`` (a subject, a body), in order."""
    return [format_reference(int(y), int(n)) for y, n in REFERENCE_RE.findall(text or "")]


def create_ticket(session: Session, *, received_at: datetime, **values: Any) -> Ticket:
    """A new ticket with a freshly allocated reference (flushed, so it has an id)."""
    return insert_ticket(session, Ticket(reference="", received_at=received_at, **values))


def insert_ticket(session: Session, ticket: Ticket) -> Ticket:
    """Give a ticket built in memory its reference (year of ``received_at``) and insert it: it has an id.

    Filing fills a new ticket before this, so its row goes in with one INSERT and no UPDATE. The
    INSERT is a Core statement (no unit-of-work flush of the session's other objects); the ticket
    then joins the session as a loaded row, so later changes to it are UPDATEs as usual.
    """
    ticket.reference = allocate_reference(session, ticket.received_at.year)
    table = Ticket.__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(ticket, c.key) for c in table.columns if c.key != "id"}
    inserted = cast(CursorResult[Any], session.execute(insert(table), values))
    ticket.id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


def find_by_reference(session: Session, reference: str) -> Ticket | None:
    return session.exec(select(Ticket).where(Ticket.reference == reference.strip().upper())).first()


def find_by_message_id(session: Session, msgid: str) -> Ticket | None:
    """The ticket holding the message (inbound or our outbound) with this Message-ID."""
    tid = session.exec(select(TicketMessage.ticket_id).where(TicketMessage.message_id == msgid)).first()
    if tid is None:
        tid = session.exec(select(Outbox.ticket_id).where(Outbox.message_id == msgid)).first()
    return session.get(Ticket, tid) if tid is not None else None


def list_tickets(session: Session, status: str | None = None, limit: int | None = None) -> Sequence[Ticket]:
    query = select(Ticket).order_by(col(Ticket.id))
    if status:
        query = query.where(Ticket.status == status)
    if limit:
        query = query.limit(limit)
    return session.exec(query).all()


def set_field(
    session: Session,
    ticket_id: int,
    name: str,
    value: Any,
    *,
    confidence: float | None = None,
    evidence: list[dict[str, Any]] | None = None,
) -> TicketField:
    """Store the machine value of one field; a reviewer's correction is kept untouched."""
    row = session.exec(select(TicketField).where(TicketField.ticket_id == ticket_id, TicketField.name == name)).first()
    if row is None:
        row = TicketField(ticket_id=ticket_id, name=name)
    row.machine_value = value
    row.confidence = confidence
    row.evidence = evidence or []
    session.add(row)
    return row


FieldValue = tuple[Any, float | None, list[dict[str, Any]]]


def set_fields(session: Session, ticket_id: int, values: dict[str, FieldValue], *, new_ticket: bool = False) -> None:
    """``set_field`` for many fields with one query (the daemon writes a dozen per message).

    A ticket created in this transaction has no field rows yet: they go in with one
    multi-row INSERT, without the lookup.
    """
    if new_ticket:
        if values:
            rows = [
                {"ticket_id": ticket_id, "name": name, "machine_value": value, "confidence": confidence,
                 "evidence": evidence, "corrected": False}
                for name, (value, confidence, evidence) in values.items()
            ]
            session.execute(insert(TicketField.__table__), rows)  # type: ignore[attr-defined]
        return
    existing = fields_of(session, ticket_id)
    for name, (value, confidence, evidence) in values.items():
        row = existing.get(name) or TicketField(ticket_id=ticket_id, name=name)
        row.machine_value, row.confidence, row.evidence = value, confidence, evidence
        session.add(row)


def fields_of(session: Session, ticket_id: int) -> dict[str, TicketField]:
    rows = session.exec(select(TicketField).where(TicketField.ticket_id == ticket_id)).all()
    return {r.name: r for r in rows}


def outbox_of(session: Session, ticket_id: int) -> Sequence[Outbox]:
    return session.exec(select(Outbox).where(Outbox.ticket_id == ticket_id).order_by(col(Outbox.id))).all()


def ack_summary(rows: Sequence[Outbox]) -> dict[str, Any] | None:
    """The acknowledgment state of a ticket: the latest real ack, else the latest decision not to send."""
    acks = [r for r in rows if r.kind == "ack"]
    real = [r for r in acks if r.status != "suppressed"]
    pool = real or acks
    if not pool:
        return None
    chosen = pool[-1]
    status = "queued" if chosen.status == "sending" else chosen.status
    reason = chosen.reason if chosen.status == "suppressed" else chosen.last_error
    return {"status": status, "reason": reason, "message_id": chosen.message_id, "sent_at": chosen.sent_at}
