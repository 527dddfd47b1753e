"""Raw messages and thread lookups: what was fetched, and which ticket a Message-ID belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import CompoundSelect, Insert, Update, bindparam, insert, literal, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from store.models import Outbox, RawMessage, TicketMessage, utcnow

STATES = ("archived", "filed", "done")


def find_by_sha(session: Session, sha: str) -> RawMessage | None:
    return session.exec(select(RawMessage).where(RawMessage.sha256 == sha)).first()


def add_raw(
    session: Session,
    *,
    sha: str,
    size: int,
    mailbox: str,
    folder: str,
    uid: int | None,
    uidvalidity: int | None,
    internaldate: datetime | None,
    received_header_at: datetime | None,
    message_id: str | None,
) -> tuple[RawMessage, bool]:
    """Insert the row of a newly archived message; return (row, created).

    The SHA-256 is unique: the same bytes fetched again (after a crash or a UIDVALIDITY
    change) return the existing row, with its location refreshed.
    """
    existing = find_by_sha(session, sha)
    if existing is None:
        row = RawMessage(
            sha256=sha,
            size=size,
            mailbox=mailbox,
            folder=folder,
            uid=uid,
            uidvalidity=uidvalidity,
            internaldate=internaldate,
            received_header_at=received_header_at,
            message_id=message_id,
        )
        try:
            with session.begin_nested():
                session.add(row)
            return row, True
        except IntegrityError:  # another worker archived the same bytes meanwhile
            existing = find_by_sha(session, sha)
            if existing is None:
                raise
    existing.uid, existing.uidvalidity, existing.folder = uid, uidvalidity, folder
    session.add(existing)
    return existing, False


@dataclass(frozen=True)
class RawFields:
    """What the archive knows of one fetched message before it is parsed."""

    sha: str
    size: int
    mailbox: str
    folder: str
    uid: int | None
    uidvalidity: int | None
    internaldate: datetime | None
    received_header_at: datetime | None
    message_id: str | None


LOOKUP_CHUNK = 500  # SHA-256s per IN (...) lookup: well under every database's bound-parameter limit


def add_raws(session: Session, items: Sequence[RawFields]) -> list[tuple[RawMessage, bool]]:
    """``add_raw`` for a batch, in order: a lookup of the known SHA-256s, one INSERT of the new
    rows (an executemany: no ORM object is built for them) and a read of those rows back.

    Bytes seen before (earlier, or earlier in the same batch) return the existing row with its
    location refreshed, as ``add_raw`` does. When another worker archives some of the same bytes
    meanwhile, the batch INSERT fails as a whole and the rows are added one by one instead.
    """
    known = _rows_by_sha(session, sorted({item.sha for item in items}))
    fresh: dict[str, dict[str, Any]] = {}
    for item in items:
        row = known.get(item.sha)
        if row is not None:
            row.uid, row.uidvalidity, row.folder = item.uid, item.uidvalidity, item.folder
            session.add(row)
        elif item.sha in fresh:  # twice in the batch: the later location wins, as with add_raw
            fresh[item.sha].update(uid=item.uid, uidvalidity=item.uidvalidity, folder=item.folder)
        else:
            fresh[item.sha] = _new_row(item)
    if fresh:
        try:
            with session.begin_nested():
                session.execute(_insert_of(RawMessage.__table__), list(fresh.values()))  # type: ignore[attr-defined]
        except IntegrityError:  # another worker archived some of these bytes meanwhile
            return [_add_one(session, item) for item in items]
        known.update(_rows_by_sha(session, sorted(fresh)))
    seen: set[str] = set()
    out: list[tuple[RawMessage, bool]] = []
    for item in items:
        out.append((known[item.sha], item.sha in fresh and item.sha not in seen))
        seen.add(item.sha)
    return out


def _rows_by_sha(session: Session, shas: list[str]) -> dict[str, RawMessage]:
    found: dict[str, RawMessage] = {}
    for start in range(0, len(shas), LOOKUP_CHUNK):
        chunk = shas[start:start + LOOKUP_CHUNK]
        found.update((r.sha256, r) for r in session.exec(select(RawMessage).where(col(RawMessage.sha256).in_(chunk))))
    return found


def _new_row(item: RawFields) -> dict[str, Any]:
    return {"sha256": item.sha, "size": item.size, "mailbox": item.mailbox, "folder": item.folder, "uid": item.uid,
            "uidvalidity": item.uidvalidity, "internaldate": item.internaldate,
            "received_header_at": item.received_header_at, "fetched_at": utcnow(), "message_id": item.message_id,
            "state": "archived"}


def _add_one(session: Session, item: RawFields) -> tuple[RawMessage, bool]:
    return add_raw(session, sha=item.sha, size=item.size, mailbox=item.mailbox, folder=item.folder, uid=item.uid,
                   uidvalidity=item.uidvalidity, internaldate=item.internaldate,
                   received_header_at=item.received_header_at, message_id=item.message_id)


def unfiled(session: Session, mailbox: str) -> Sequence[RawMessage]:
    """Archived messages with no ticket yet (a crash between archive and filing)."""
    return session.exec(
        select(RawMessage)
        .where(RawMessage.mailbox == mailbox, RawMessage.state == "archived")
        .order_by(col(RawMessage.id))
    ).all()


def ticket_id_for_message_ids(session: Session, msgids: Sequence[str]) -> int | None:
    """The ticket that already holds one of ``msgids`` (inbound or our outbound mail), latest first.

    One query for all the ids: per id, the earliest thread entry wins over our outgoing mail.
    """
    ids = [m for m in msgids if m]
    if not ids:
        return None
    best: dict[str, tuple[tuple[int, int], int]] = {}
    unique = sorted(set(ids))
    if len(unique) == 1:
        rows = session.execute(_holders_of_ids(one=True), {"id": unique[0]})
    else:
        rows = session.execute(_holders_of_ids(one=False), {"ids": unique})
    for mid, tid, source, row_id in rows:
        rank = (int(source), int(row_id))
        if mid not in best or rank < best[mid][0]:
            best[mid] = (rank, int(tid))
    return next((best[mid][1] for mid in reversed(ids) if mid in best), None)  # the nearest parent is last


@cache
def _holders_of_ids(*, one: bool) -> CompoundSelect:
    """(message_id, ticket_id, 0 for a thread entry / 1 for our outgoing mail, row id) for the ids ``:ids``,
    or for the one id ``:id`` (most lookups: a plain ``=`` skips the per-call rewrite of an expanding IN)."""
    def holds(column: Any) -> Any:
        return column == bindparam("id") if one else col(column).in_(bindparam("ids", expanding=True))

    inbound = select(TicketMessage.message_id, TicketMessage.ticket_id, literal(0), TicketMessage.id).where(
        holds(TicketMessage.message_id))
    outbound = select(Outbox.message_id, Outbox.ticket_id, literal(1), Outbox.id).where(
        holds(Outbox.message_id), col(Outbox.ticket_id).is_not(None))
    return union_all(inbound, outbound)


def insert_message(session: Session, values: dict[str, Any]) -> None:
    """Write one thread entry (the columns of ``TicketMessage``) at once, without building an ORM object.

    The daemon writes one per message and never reads it back in that transaction.
    """
    session.execute(_insert_of(TicketMessage.__table__), values)  # type: ignore[attr-defined]


@cache
def _insert_of(table: Any) -> Insert:
    """One INSERT construct per table: a new one per call costs its cache key each time (~0.1 ms)."""
    return insert(table)


def mark_filed(session: Session, row: RawMessage, ticket_id: int, mail_class: str, error: str | None) -> bool:
    """Record that ``row`` is filed on ``ticket_id``: one UPDATE, only from the state "archived".

    False when the row was no longer "archived" (another run filed it first): the caller rolls
    back. The loaded row is kept in step.
    """
    values = {"ticket_id": ticket_id, "state": "filed", "mail_class": mail_class, "error": error}
    done = session.execute(_mark_filed(), {"filed_row": row.id, **values})
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True


@cache
def _mark_filed() -> Update:
    """The UPDATE of ``mark_filed``, built once: its SET columns come from the parameters."""
    table = RawMessage.__table__  # type: ignore[attr-defined]
    return update(table).where(table.c.id == bindparam("filed_row"), table.c.state == "archived")


def messages_of_ticket(session: Session, ticket_id: int) -> Sequence[TicketMessage]:
    return session.exec(
        select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(col(TicketMessage.id))
    ).all()


def raw_of_ticket(session: Session, ticket_id: int) -> Sequence[RawMessage]:
    return session.exec(
        select(RawMessage).where(RawMessage.ticket_id == ticket_id).order_by(col(RawMessage.id))
    ).all()
