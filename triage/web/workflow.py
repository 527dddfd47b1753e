"""Reviewer actions other than field corrections: status, assignment, notes, verification checks.

Each one changes the ticket and appends an audit event with the old and new value.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from store.audit import record
from store.models import TICKET_STATUSES, AuditEvent, Ticket, TicketMessage, User, utcnow

log = logging.getLogger(__name__)
VERIFICATION_FILE = Path(__file__).parent / "data" / "verification.json"
FINAL_STATUSES = ("closed", "rejected", "spam")
NOTE_LIMIT = 20_000


class WorkflowError(ValueError):
    """The requested change is not allowed; the message is shown to the reviewer."""


@cache
def verification_items() -> tuple[dict[str, str], ...]:
    """The checklist a reviewer works through for an unverified sender (data file)."""
    return tuple(json.loads(VERIFICATION_FILE.read_text(encoding="utf-8")))


def set_status(session: Session, ticket: Ticket, status: str, actor: str) -> None:
    if status not in TICKET_STATUSES:
        raise WorkflowError(f"unknown status {status!r}")
    old = ticket.status
    if old == status:
        return
    ticket.status = status
    now = utcnow()
    ticket.updated_at = now
    ticket.closed_at = now if status in FINAL_STATUSES else None
    session.add(ticket)
    record(session, "status_changed", actor=actor, ticket_id=ticket.id, field="status", old=old, new=status)
    log.info("ticket %s: status %s -> %s by %s", ticket.reference, old, status, actor)


def assign(session: Session, ticket: Ticket, user_id: int | None, actor: str) -> None:
    """Assign to an active user, or unassign with None."""
    new_name: str | None = None
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise WorkflowError("no such active user")
        new_name = user.name
    if ticket.assignee_id == user_id:
        return
    old_user = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    ticket.assignee_id = user_id
    ticket.updated_at = utcnow()
    if user_id is not None and ticket.status == "new":
        set_status(session, ticket, "in_review", actor)
    session.add(ticket)
    log.info("ticket %s: assigned to %s by %s", ticket.reference, new_name, actor)
    record(
        session,
        "assigned",
        actor=actor,
        ticket_id=ticket.id,
        field="assignee",
        old=old_user.name if old_user else None,
        new=new_name,
    )


def add_note(session: Session, ticket: Ticket, text: str, actor: str) -> TicketMessage:
    """An internal note in the thread; never sent to anyone."""
    text = text.strip()
    if not text:
        raise WorkflowError("the note is empty")
    if len(text) > NOTE_LIMIT:
        raise WorkflowError(f"notes are limited to {NOTE_LIMIT} characters")
    assert ticket.id is not None
    note = TicketMessage(ticket_id=ticket.id, direction="note", author=actor, body_text=text, subject="Internal note")
    session.add(note)
    session.flush()
    record(session, "note_added", actor=actor, ticket_id=ticket.id, detail={"message_id": note.id})
    log.info("ticket %s: note added by %s", ticket.reference, actor)
    return note


def check_verification(session: Session, ticket: Ticket, code: str, done: bool, actor: str) -> None:
    """Tick or untick one checklist item; who and when are kept as an audit event."""
    if code not in {item["code"] for item in verification_items()}:
        raise WorkflowError("unknown checklist item")
    record(
        session,
        "verification_checked" if done else "verification_unchecked",
        actor=actor,
        ticket_id=ticket.id,
        field=code,
        new=done,
    )


def verification_state(session: Session, ticket_id: int) -> dict[str, AuditEvent]:
    """For each ticked checklist item, the event that ticked it (unticked items are absent)."""
    state: dict[str, AuditEvent] = {}
    events = session.exec(
        select(AuditEvent)
        .where(
            col(AuditEvent.ticket_id) == ticket_id,
            col(AuditEvent.action).in_(("verification_checked", "verification_unchecked")),
        )
        .order_by(col(AuditEvent.id))
    )
    for ev in events:
        if ev.field is None:
            continue
        if ev.action == "verification_checked":
            state[ev.field] = ev
        else:
            state.pop(ev.field, None)
    return state


def ticket_audit(session: Session, ticket_id: int, limit: int = 500) -> list[AuditEvent]:
    """The ticket's events, newest first."""
    stmt = (
        select(AuditEvent)
        .where(col(AuditEvent.ticket_id) == ticket_id)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))


def describe(ev: AuditEvent) -> dict[str, Any]:
    """An audit event as strings for display."""

    def show(v: Any) -> str:
        if v is None:
            return "—"
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)

    return {"old": show(ev.old_value), "new": show(ev.new_value)}
