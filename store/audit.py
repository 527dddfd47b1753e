"""Audit events as a hash chain: each row stores the hash of the previous one.

Appends are serialized so that concurrent writers (daemon, web UI, replicas) never fork the
chain: on PostgreSQL a transaction-level advisory lock, on SQLite the database write lock that
the insert itself takes; the predecessor is read only after our row is inserted.
``verify_chain`` recomputes every hash so an edited or deleted row is detected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from store.models import AuditEvent, utcnow

AUDIT_LOCK_KEY = 0x7A7D17  # advisory lock id reserved for the audit chain
TAIL_KEY = "audit_tail"  # session.info: (transaction, id, hash) of the last event this transaction appended


def _digest(ev: AuditEvent) -> str:
    body = {
        "id": ev.id,
        "at": ev.at.isoformat() if isinstance(ev.at, datetime) else str(ev.at),
        "actor": ev.actor,
        "ticket_id": ev.ticket_id,
        "action": ev.action,
        "field": ev.field,
        "old": ev.old_value,
        "new": ev.new_value,
        "detail": ev.detail,
        "prev": ev.prev_hash,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def record(
    session: Session,
    action: str,
    *,
    actor: str = "system",
    ticket_id: int | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain (flushed, committed with the caller's transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    ev = AuditEvent(
        at=utcnow(),
        actor=actor,
        ticket_id=ticket_id,
        action=action,
        field=field,
        old_value=old,
        new_value=new,
        detail=detail or {},
    )
    session.add(ev)
    session.flush()  # assigns the id (part of the hash) and, on SQLite, takes the write lock
    assert ev.id is not None
    prev = _known_predecessor(session, ev.id)
    if prev is None:
        prev = session.exec(
            select(AuditEvent.hash).where(col(AuditEvent.id) < ev.id).order_by(col(AuditEvent.id).desc()).limit(1)
        ).first() or ""
    ev.prev_hash = prev
    ev.hash = _digest(ev)
    session.add(ev)  # written by the next flush: the next record() flushes it before reading its hash
    if session.get_nested_transaction() is None:
        session.info[TAIL_KEY] = (session.get_transaction(), ev.id, ev.hash)
    return ev


def _known_predecessor(session: Session, event_id: int) -> str | None:
    """The hash of the event this transaction appended just before, when it is certainly the predecessor.

    The chain lock (advisory lock or SQLite write lock) is held from our first append until
    commit, so nobody else can append in between; the ids must also be consecutive (a
    savepoint rolled back or another gap means: ask the database).
    """
    tail = session.info.get(TAIL_KEY)
    if tail is None or session.get_nested_transaction() is not None:
        return None
    txn, last_id, last_hash = tail
    if txn is not session.get_transaction() or event_id != last_id + 1:
        return None
    return str(last_hash)


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(session: Session) -> list[ChainProblem]:
    """Every broken link: a row whose content no longer matches its hash, or a missing predecessor."""
    problems: list[ChainProblem] = []
    prev = ""
    for ev in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))):
        assert ev.id is not None
        if ev.prev_hash != prev:
            problems.append(ChainProblem(ev.id, "previous event missing or altered"))
        if _digest(ev) != ev.hash:
            problems.append(ChainProblem(ev.id, "event content altered"))
        prev = ev.hash
    return problems
