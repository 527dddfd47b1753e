"""Per-folder IMAP checkpoints: UIDVALIDITY and the highest UID fully processed.

A UIDVALIDITY change invalidates every stored UID (RFC 3501 2.3.1.1), so the checkpoint is
reset and the folder re-scanned; duplicates are then caught by the raw bytes' SHA-256.
"""

from __future__ import annotations

from sqlmodel import Session, select

from store.models import MailboxState, utcnow


def get_state(session: Session, mailbox: str, folder: str) -> MailboxState:
    """The checkpoint row of ``mailbox``/``folder``, created empty when missing."""
    row = session.exec(
        select(MailboxState).where(MailboxState.mailbox == mailbox, MailboxState.folder == folder)
    ).first()
    if row is None:
        row = MailboxState(mailbox=mailbox, folder=folder, uidvalidity=None, last_uid=0)
        session.add(row)
        session.flush()
    return row


def sync_uidvalidity(session: Session, mailbox: str, folder: str, uidvalidity: int | None) -> tuple[int, bool]:
    """Record the server's UIDVALIDITY; return (last processed UID, whether it changed)."""
    row = get_state(session, mailbox, folder)
    changed = row.uidvalidity is not None and uidvalidity is not None and row.uidvalidity != uidvalidity
    if changed or row.uidvalidity is None:
        row.uidvalidity = uidvalidity
        if changed:
            row.last_uid = 0
    row.last_poll_at = utcnow()
    session.add(row)
    return row.last_uid, changed


def advance(session: Session, mailbox: str, folder: str, uid: int) -> None:
    """Move the checkpoint forward to ``uid`` (never backwards)."""
    row = get_state(session, mailbox, folder)
    if uid > row.last_uid:
        row.last_uid = uid
        session.add(row)


def record_error(session: Session, mailbox: str, folder: str, error: str | None) -> None:
    row = get_state(session, mailbox, folder)
    row.last_error = error
    session.add(row)


def touch_poll(session: Session, mailbox: str, folder: str) -> None:
    """Record a successful poll (the health check reads its age)."""
    row = get_state(session, mailbox, folder)
    row.last_poll_at = utcnow()
    session.add(row)
