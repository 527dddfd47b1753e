"""Retention: delete the raw archived mail of tickets closed longer ago than the retention period.

Only the archive files go, and each purge is recorded (``raw_message.purged_at`` and one
audit event per ticket). Tickets, their thread, extracted fields and the audit trail stay.
A ticket that was reopened has no ``closed_at`` and is never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlmodel import Session, col, or_, select

from store import audit
from store.archive import Archive, ArchiveError
from store.models import RawMessage, Ticket, TicketMessage

log = logging.getLogger(__name__)

CLOSED_STATUSES = ("closed", "rejected", "spam")


class RetentionSettings(Protocol):
    """What retention needs from the settings (store does not import triage)."""

    @property
    def retention_days(self) -> int: ...

    @property
    def archive_dir(self) -> Path: ...


@dataclass
class PurgeReport:
    tickets: int = 0
    raw_messages: int = 0
    errors: list[str] = field(default_factory=list)


def expired_tickets(session: Session, cutoff: datetime) -> list[Ticket]:
    """Tickets in a final status whose ``closed_at`` is at or before ``cutoff``."""
    stmt = select(Ticket).where(
        col(Ticket.status).in_(CLOSED_STATUSES),
        col(Ticket.closed_at).is_not(None),
        col(Ticket.closed_at) <= cutoff,
    )
    return list(session.exec(stmt.order_by(col(Ticket.id))))


def _unpurged_raw(session: Session, ticket_id: int) -> list[RawMessage]:
    """Raw mails filed into the ticket, directly or as a threaded message."""
    threaded = select(TicketMessage.raw_message_id).where(
        TicketMessage.ticket_id == ticket_id, col(TicketMessage.raw_message_id).is_not(None)
    )
    stmt = select(RawMessage).where(
        or_(RawMessage.ticket_id == ticket_id, col(RawMessage.id).in_(threaded)),
        col(RawMessage.purged_at).is_(None),
    )
    return list(session.exec(stmt.order_by(col(RawMessage.id))))


def purge_expired(
    session: Session, settings: RetentionSettings, now: datetime, *, dry_run: bool = False
) -> PurgeReport:
    """Purge what is due; the caller commits. ``retention_days`` 0 means keep forever."""
    report = PurgeReport()
    if settings.retention_days <= 0:
        return report
    archive = Archive(settings.archive_dir)
    for ticket in expired_tickets(session, now - timedelta(days=settings.retention_days)):
        assert ticket.id is not None
        purged = [raw for raw in _unpurged_raw(session, ticket.id) if dry_run or _delete(archive, raw, report)]
        if not purged:
            continue
        report.tickets += 1
        report.raw_messages += len(purged)
        if dry_run:
            continue
        for raw in purged:
            raw.purged_at = now
            session.add(raw)
        audit.record(
            session,
            "raw_mail_purged",
            ticket_id=ticket.id,
            detail={
                "raw_message_ids": [raw.id for raw in purged],
                "retention_days": settings.retention_days,
                "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
            },
        )
        log.info(
            "retention: purged %d raw mail(s) of %s",
            len(purged),
            ticket.reference,
            extra={"ticket": ticket.reference, "event": "retention_purge"},
        )
    return report


def _delete(archive: Archive, raw: RawMessage, report: PurgeReport) -> bool:
    """Remove one archive file; an already missing file counts as purged."""
    try:
        archive.path_for(raw.sha256).unlink(missing_ok=True)
    except (OSError, ArchiveError) as exc:
        report.errors.append(f"raw_message {raw.id}: {type(exc).__name__}: {exc}")
        log.error("retention: cannot delete raw_message %s: %s", raw.id, type(exc).__name__)
        return False
    return True
