"""Audit events as a hash chain: each row stores the hash of the previous one.

Appends are serialized so that concurrent writers (daemon, web UI, replicas) never fork the
chain: on PostgreSQL a transaction-level advisory lock, on SQLite the database write lock that
the first insert itself takes; the predecessor is read only once the lock is held, and then
remembered for the rest of the transaction (nobody else can append until it ends).
``verify_chain`` recomputes every hash so an edited or deleted row is detected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Select, Table, Update, bindparam, insert, select, text, update
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from store.models import AuditEvent, utcnow

AUDIT_LOCK_KEY = 0x7A7D17  # advisory lock id reserved for the audit chain
WRITE_LOCK_KEY = "audit_wrote"  # session.info: the transaction that has written (see ``wrote``)
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
    """Append one event to the chain (written now, committed with the caller's transaction).

    The row goes in with a Core INSERT: no flush of the session's other pending objects, and,
    once this transaction holds the chain lock and knows the chain's head, one statement
    (two on PostgreSQL, which draws the id from the sequence first) instead of an INSERT and
    an UPDATE. The returned event is not attached to the session.
    """
    ev = AuditEvent(at=utcnow(), actor=actor, ticket_id=ticket_id, action=action, field=field,
                    old_value=old, new_value=new, detail=detail or {}, prev_hash="", hash="")
    tail = _known_tail(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    if tail is not None and not postgres:  # SQLite: we hold the write lock and the head (no id above it)
        ev.id, ev.prev_hash = tail[0] + 1, tail[1]
        ev.hash = _digest(ev)
        session.execute(_insert(), _row(ev))
    elif postgres:
        if tail is None:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
        ev.id, ev.prev_hash = _next_id_and_predecessor(session)
        ev.hash = _digest(ev)
        session.execute(_insert(), _row(ev))
    elif _holds_write_lock(session):  # SQLite, first event, lock already taken by an earlier write
        head = session.execute(_head()).first()
        ev.id, ev.prev_hash = (int(head[0]) + 1, str(head[1])) if head is not None else (1, "")
        ev.hash = _digest(ev)
        session.execute(_insert(), _row(ev))
    else:  # SQLite, first event of this transaction: the INSERT takes the write lock, then read the predecessor
        inserted = cast(CursorResult[Any], session.execute(_insert(), _row(ev, with_id=False)))
        ev.id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
        ev.prev_hash = session.execute(_predecessor(), {"event_id": ev.id}).scalar() or ""
        ev.hash = _digest(ev)
        session.execute(_set_hash(), {"event_id": ev.id, "new_prev": ev.prev_hash, "new_hash": ev.hash})
    session.info[TAIL_KEY] = (_current_transaction(session), ev.id, ev.hash)
    return ev


COLUMNS = ("id", "at", "actor", "ticket_id", "action", "field", "old_value", "new_value", "detail", "prev_hash", "hash")


def _table() -> Table:
    return cast(Table, AuditEvent.__table__)  # type: ignore[attr-defined]


def _row(ev: AuditEvent, *, with_id: bool = True) -> dict[str, Any]:
    return {name: getattr(ev, name) for name in COLUMNS if with_id or name != "id"}


# Core statements (no autoflush of the caller's pending objects), built once: they run for every event.
@cache
def _insert() -> Insert:
    return insert(_table())  # the columns are those of the parameters


@cache
def _predecessor() -> Select[tuple[str]]:
    table = _table()
    return (select(table.c.hash).where(table.c.id < bindparam("event_id"))
            .order_by(table.c.id.desc()).limit(1))


@cache
def _head() -> Select[tuple[int, str]]:
    table = _table()
    return select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)


@cache
def _set_hash() -> Update:
    table = _table()
    return (update(table).where(table.c.id == bindparam("event_id"))
            .values(prev_hash=bindparam("new_prev"), hash=bindparam("new_hash")))


def _next_id_and_predecessor(session: Session) -> tuple[int, str]:
    """PostgreSQL, under the chain lock: the next id of the sequence and the hash of the event before it."""
    row = session.execute(text(
        "WITH n AS (SELECT nextval(pg_get_serial_sequence('audit_event', 'id')) AS id) "
        "SELECT n.id, (SELECT a.hash FROM audit_event a WHERE a.id < n.id ORDER BY a.id DESC LIMIT 1) FROM n"
    )).one()
    return int(row[0]), str(row[1] or "")


def wrote(session: Session) -> None:
    """Tell the chain that the caller's transaction has just written, outside any savepoint (so, on
    SQLite, holds the write lock until it ends): its first event can read the head, then be one INSERT."""
    if session.get_nested_transaction() is None:  # a savepoint that began the SQLite transaction ends it on release
        session.info[WRITE_LOCK_KEY] = session.get_transaction()


def _holds_write_lock(session: Session) -> bool:
    current = session.get_transaction()
    return current is not None and current.is_active and session.info.get(WRITE_LOCK_KEY) is current


def _current_transaction(session: Session) -> Any:
    return session.get_nested_transaction() or session.get_transaction()


def _known_tail(session: Session) -> tuple[int, str] | None:
    """(id, hash) of the event this very (sub)transaction appended last, or None.

    The chain lock (advisory lock or SQLite write lock) is held from our first append until the
    end of the transaction in which it was taken, so nobody else can append in between. The
    answer is only trusted in that same (sub)transaction: a savepoint rolled back (which drops
    its rows and, on PostgreSQL, the lock it took) or released means: ask the database again.
    """
    tail = session.info.get(TAIL_KEY)
    if tail is None:
        return None
    txn, last_id, last_hash = tail
    if txn is not _current_transaction(session) or not txn.is_active:
        return None
    return int(last_id), str(last_hash)


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(session: Session) -> list[ChainProblem]:
    """Every broken link: a row whose content no longer matches its hash, or a missing predecessor."""
    problems: list[ChainProblem] = []
    prev = ""
    for ev in session.exec(orm_select(AuditEvent).order_by(col(AuditEvent.id))):
        assert ev.id is not None
        if ev.prev_hash != prev:
            problems.append(ChainProblem(ev.id, "previous event missing or altered"))
        if _digest(ev) != ev.hash:
            problems.append(ChainProblem(ev.id, "event content altered"))
        prev = ev.hash
    return problems
