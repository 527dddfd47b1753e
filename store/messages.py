"""Raw messages and thread lookups: what was fetched, and which ticket a Message-ID belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import Outbox, RawMessage, TicketMessage

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


def unfiled(session: Session, mailbox: str) -> Sequence[RawMessage]:
    """Archived messages with no ticket yet (a crash between archive and filing)."""
    return session.exec(
        select(RawMessage)
        .where(RawMessage.mailbox == mailbox, RawMessage.state == "archived")
        .order_by(col(RawMessage.id))
    ).all()


def ticket_id_for_message_ids(session: Session, msgids: Sequence[str]) -> int | None:
    """The ticket that already holds one of ``msgids`` (inbound or our outbound mail), latest first."""
    ids = [m for m in msgids if m]
    if not ids:
        return None
    for mid in reversed(ids):  # the nearest parent is last in References
        tid = session.exec(
            select(TicketMessage.ticket_id).where(TicketMessage.message_id == mid).order_by(col(TicketMessage.id))
        ).first()
        if tid is not None:
            return tid
        oid = session.exec(
            select(Outbox.ticket_id).where(Outbox.message_id == mid, col(Outbox.ticket_id).is_not(None))
        ).first()
        if oid is not None:
            return oid
    return None


def messages_of_ticket(session: Session, ticket_id: int) -> Sequence[TicketMessage]:
    return session.exec(
        select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(col(TicketMessage.id))
    ).all()


def raw_of_ticket(session: Session, ticket_id: int) -> Sequence[RawMessage]:
    return session.exec(
        select(RawMessage).where(RawMessage.ticket_id == ticket_id).order_by(col(RawMessage.id))
    ).all()
