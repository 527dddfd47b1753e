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
from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True)
class Recorded:
    """An appended event as written (a plain value, not a session object: building an ``AuditEvent``
    model per event cost more CPU than its INSERT)."""

    id: int
    at: datetime
    actor: str
    ticket_id: int | None
    action: str
    field: str | None
    old_value: Any
    new_value: Any
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class NewEvent:
    """One event for ``record_many``: the arguments of ``record``."""

    action: str
    actor: str = "system"
    ticket_id: int | None = None
    field: str | None = None
    old: Any = None
    new: Any = None
    detail: dict[str, Any] | None = None


def _digest(row: Mapping[str, Any]) -> str:
    at = row["at"]
    body = {
        "id": row["id"],
        "at": at.isoformat() if isinstance(at, datetime) else str(at),
        "actor": row["actor"],
        "ticket_id": row["ticket_id"],
        "action": row["action"],
        "field": row["field"],
        "old": row["old_value"],
        "new": row["new_value"],
        "detail": row["detail"],
        "prev": row["prev_hash"],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _new_row(ev: NewEvent) -> dict[str, Any]:
    """The row of an event to append, its place in the chain not yet known (as the model's defaults fill it)."""
    return {"at": utcnow(), "actor": ev.actor, "ticket_id": ev.ticket_id, "action": ev.action, "field": ev.field,
            "old_value": ev.old, "new_value": ev.new, "detail": ev.detail or {}, "prev_hash": "", "hash": ""}


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
) -> Recorded:
    """Append one event to the chain (written now, committed with the caller's transaction).

    The row goes in with a Core INSERT: no flush of the session's other pending objects, and,
    once this transaction holds the chain lock and knows the chain's head, one statement
    (two on PostgreSQL, which draws the id from the sequence first) instead of an INSERT and
    an UPDATE. The returned value is what was written; it is not attached to the session.
    """
    return record_many(session, [NewEvent(action, actor, ticket_id, field, old, new, detail)])[0]


def record_many(session: Session, events: Sequence[NewEvent]) -> list[Recorded]:
    """Append several events, in order, as ``record`` would one by one; once the chain's head is
    known, with ONE executemany INSERT (on PostgreSQL after one statement drawing all their ids)."""
    rows = [_new_row(ev) for ev in events]
    if not rows:
        return []
    tail = _known_tail(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        if tail is None:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
        ids, prev = _next_ids_and_predecessor(session, len(rows))
    elif tail is not None:  # SQLite: we hold the write lock and the head (no id above it)
        ids, prev = list(range(tail[0] + 1, tail[0] + 1 + len(rows))), tail[1]
    elif _holds_write_lock(session):  # SQLite, first event, lock already taken by an earlier write
        head = session.execute(_head()).first()
        first, prev = (int(head[0]) + 1, str(head[1])) if head is not None else (1, "")
        ids = list(range(first, first + len(rows)))
    else:  # SQLite, first event of this transaction: the INSERT takes the write lock, then read the predecessor
        inserted = cast(CursorResult[Any], session.execute(_insert(), rows[0]))
        first = int(inserted.inserted_primary_key[0])  # type: ignore[index]
        prev = session.execute(_predecessor(), {"event_id": first}).scalar() or ""
        _chain(rows, list(range(first, first + len(rows))), prev)
        session.execute(_set_hash(), {"event_id": first, "new_prev": rows[0]["prev_hash"], "new_hash": rows[0]["hash"]})
        if len(rows) > 1:
            session.execute(_insert(), rows[1:])
        return _appended(session, rows)
    _chain(rows, ids, prev)
    session.execute(_insert(), rows if len(rows) > 1 else rows[0])
    return _appended(session, rows)


def _chain(rows: list[dict[str, Any]], ids: list[int], prev: str) -> None:
    """Give each row its id and link it to the one before (the first to ``prev``)."""
    for row, event_id in zip(rows, ids, strict=True):
        row["id"], row["prev_hash"] = event_id, prev
        row["hash"] = prev = _digest(row)


def _appended(session: Session, rows: list[dict[str, Any]]) -> list[Recorded]:
    session.info[TAIL_KEY] = (_current_transaction(session), rows[-1]["id"], rows[-1]["hash"])
    return [Recorded(**row) for row in rows]


COLUMNS = ("id", "at", "actor", "ticket_id", "action", "field", "old_value", "new_value", "detail", "prev_hash", "hash")


def _table() -> Table:
    return cast(Table, AuditEvent.__table__)  # type: ignore[attr-defined]


def _stored(ev: AuditEvent) -> dict[str, Any]:
    return {name: getattr(ev, name) for name in COLUMNS}


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


def _next_ids_and_predecessor(session: Session, count: int) -> tuple[list[int], str]:
    """PostgreSQL, under the chain lock: the next ``count`` ids of the sequence and the hash of the event
    before the first of them."""
    if count == 1:
        row = session.execute(text(
            "WITH n AS (SELECT nextval(pg_get_serial_sequence('audit_event', 'id')) AS id) "
            "SELECT n.id, (SELECT a.hash FROM audit_event a WHERE a.id < n.id ORDER BY a.id DESC LIMIT 1) FROM n"
        )).one()
        return [int(row[0])], str(row[1] or "")
    rows = session.execute(text(
        "WITH n AS (SELECT nextval(pg_get_serial_sequence('audit_event', 'id')) AS id FROM generate_series(1, :count)) "
        "SELECT n.id, (SELECT a.hash FROM audit_event a WHERE a.id < (SELECT min(id) FROM n) "
        "ORDER BY a.id DESC LIMIT 1) FROM n ORDER BY n.id"
    ), {"count": count}).all()
    return [int(r[0]) for r in rows], str(rows[0][1] or "")


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
        if _digest(_stored(ev)) != ev.hash:
            problems.append(ChainProblem(ev.id, "event content altered"))
        prev = ev.hash
    return problems
