"""Tickets: human-friendly references, creation, lookup and extracted fields.

References are ``LE-<year>-<six digits>``, numbered per year from the ``reference_counter``
row. The counter is bumped with a single ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING``
statement, which takes the row lock on PostgreSQL and the write lock on SQLite, so two
concurrent transactions can never receive the same number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Insert, TextClause, insert, inspect, text
from sqlalchemy.orm import ClassManager, configure_mappers, make_transient_to_detached
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
    """A new ticket with a freshly allocated reference (inserted, so it has an id)."""
    return insert_draft(session, TicketDraft(received_at=received_at, **values))


class TicketDraft:
    """The columns of a ticket not inserted yet, as plain attributes, with the model's defaults.

    Filing fills a new ticket with a few dozen values before its INSERT: on a plain object that
    costs nothing, where building a ``Ticket`` (~0.35 ms) and setting its instrumented attributes
    (~5 us each) cost more than the INSERT. ``insert_draft`` turns it into the ``Ticket``.
    """

    def __init__(self, **values: Any) -> None:
        plain, factories = _ticket_defaults()
        self.__dict__.update(plain)
        self.__dict__.update((name, factory()) for name, factory in factories if name not in values)
        self.__dict__.update(values)

    if TYPE_CHECKING:  # the attributes are Ticket's columns
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...


@cache
def _ticket_defaults() -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """Ticket's column defaults from the model: (plain values, (name, factory) pairs); no id, no reference."""
    plain: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for column in Ticket.__table__.columns:  # type: ignore[attr-defined]
        info = Ticket.model_fields[column.key]
        if column.key in ("id", "reference"):
            continue
        if info.default_factory is not None:
            factories.append((column.key, cast(Callable[[], Any], info.default_factory)))
        else:
            plain[column.key] = info.default
    return plain, tuple(factories)


def insert_draft(session: Session, draft: TicketDraft) -> Ticket:
    """Insert a drafted ticket with a fresh reference (year of ``received_at``) by one INSERT.

    Returns the ``Ticket`` built as SQLAlchemy builds a row it loads (its columns set directly,
    no per-attribute instrumentation), in the session: later changes to it are UPDATEs as usual.
    """
    values = dict(draft.__dict__)
    values["reference"] = allocate_reference(session, values["received_at"].year)
    row_id = _insert_row(session, values)
    values["id"] = row_id
    ticket = cast(Ticket, _ticket_manager().new_instance())
    ticket.__dict__.update(values)
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


@cache
def _ticket_manager() -> ClassManager[Ticket]:
    """Ticket's class manager, its mappers configured (building a ``Ticket`` would do that; this does not)."""
    configure_mappers()
    return inspect(Ticket).class_manager


def insert_ticket(session: Session, ticket: Ticket) -> Ticket:
    """Give a ticket built in memory its reference (year of ``received_at``) and insert it: it has an id.

    The INSERT is a Core statement (no unit-of-work flush of the session's other objects); the ticket
    then joins the session as a loaded row, so later changes to it are UPDATEs as usual.
    """
    ticket.reference = allocate_reference(session, ticket.received_at.year)
    table = Ticket.__table__  # type: ignore[attr-defined]
    ticket.id = _insert_row(session, {c.key: getattr(ticket, c.key) for c in table.columns if c.key != "id"})
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


def _insert_row(session: Session, values: dict[str, Any]) -> int:
    inserted = cast(CursorResult[Any], session.execute(_insert_of(Ticket.__table__), values))  # type: ignore[attr-defined]
    return int(inserted.inserted_primary_key[0])  # type: ignore[index]


@cache
def _insert_of(table: Any) -> Insert:
    """One INSERT construct per table: a new one per call costs its cache key each time (~0.1 ms)."""
    return insert(table)


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
            session.execute(_insert_of(TicketField.__table__), rows)  # type: ignore[attr-defined]
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
