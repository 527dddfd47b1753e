"""The review queue: open tickets by urgency, with filters, free-text search and pagination.

Urgency order: emergencies and hour-scale statutory deadlines first, then the time left to
``Ticket.due_at`` (the earliest deadline, computed at filing), then receipt. Every term is a
plain column so the database can sort with the ``ticket`` indexes, also at 10,000 tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.models import Outbox, Ticket, TicketMessage

OPEN_STATUSES = ("new", "in_review", "waiting_on_authority", "responded")
# Machine-generated mail filed as its own ticket; "unparsed" is not here: it may be a real request.
AUTOMATIC_CLASSES = ("auto_reply", "bounce", "list", "spam", "loop_self")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class QueueFilter:
    """What a reviewer asked for; every field optional, all combined with AND."""

    status: str | None = None  # a status, "open" (default) or "all"
    request_type: str | None = None
    country: str | None = None
    agency: str | None = None
    verified: str | None = None  # "yes" | "no" | "unknown"
    assignee_id: int | None = None
    unassigned: bool = False
    q: str | None = None
    human_only: bool = False  # hide AUTOMATIC_CLASSES (the queue page's default)

    def as_params(self) -> dict[str, str]:
        """The non-empty filters as URL query parameters (so a filtered queue can be shared)."""
        out: dict[str, str] = {}
        for key in ("status", "request_type", "country", "agency", "verified", "q"):
            value = getattr(self, key)
            if value:
                out[key] = str(value)
        if self.assignee_id is not None:
            out["assignee"] = str(self.assignee_id)
        if self.unassigned:
            out["assignee"] = "none"
        return out


@dataclass
class QueuePage:
    items: list[Ticket]
    total: int
    page: int
    page_size: int
    ack_failed: set[int] = field(default_factory=set)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(f: QueueFilter, sqlite: bool = False) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    status = f.status or "open"
    if status == "open":
        conds.append(col(Ticket.status).in_(OPEN_STATUSES))
    elif status != "all":
        conds.append(col(Ticket.status) == status)
    if f.request_type:
        conds.append(col(Ticket.request_type) == f.request_type)
    if f.country:
        conds.append(col(Ticket.country) == f.country.upper())
    if f.agency:
        conds.append(col(Ticket.agency).ilike(f"%{_like_escape(f.agency)}%", escape="\\"))
    if f.verified == "yes":
        conds.append(col(Ticket.sender_verified).is_(True))
    elif f.verified == "no":
        conds.append(col(Ticket.sender_verified).is_(False))
    elif f.verified == "unknown":
        conds.append(col(Ticket.sender_verified).is_(None))
    if f.unassigned:
        conds.append(col(Ticket.assignee_id).is_(None))
    elif f.assignee_id is not None:
        conds.append(col(Ticket.assignee_id) == f.assignee_id)
    if f.q and f.q.strip():
        conds.append(_search(f.q.strip(), sqlite))
    if f.human_only:
        conds.append(col(Ticket.mail_class).not_in(AUTOMATIC_CLASSES))
    return conds


def _search(q: str, sqlite: bool) -> ColumnElement[bool]:
    """Case-insensitive substring search over subject, body and the extracted fields.

    SQLite's LIKE already ignores ASCII case (and its lower() knows no other), so there the
    plain LIKE does the same work as ILIKE without lowering every body first.
    """
    pattern = f"%{_like_escape(q[:200])}%"

    def like(column: Any) -> ColumnElement[bool]:
        if sqlite:
            return column.like(pattern, escape="\\")
        return column.ilike(pattern, escape="\\")

    in_body = exists().where(
        and_(
            col(TicketMessage.ticket_id) == col(Ticket.id),
            or_(like(col(TicketMessage.body_text)), like(col(TicketMessage.subject))),
        )
    )
    return or_(
        like(col(Ticket.reference)),
        like(col(Ticket.subject)),
        like(col(Ticket.agency)),
        like(col(Ticket.case_reference)),
        like(col(Ticket.sender_address)),
        like(col(Ticket.sender_name)),
        like(cast(Ticket.targets, String)),
        like(cast(Ticket.legal_basis, String)),
        in_body,
    )


def urgency_order() -> list[Any]:
    """ORDER BY terms: urgent first, then earliest due, then oldest received."""
    urgent = case(
        (or_(col(Ticket.emergency).is_(True), col(Ticket.statutory_deadline).is_not(None)), 0),
        else_=1,
    )
    no_due = case((col(Ticket.due_at).is_(None), 1), else_=0)
    return [urgent, no_due, col(Ticket.due_at), col(Ticket.received_at), col(Ticket.id)]


def queue(session: Session, f: QueueFilter, page: int = 1, page_size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue and the total count under the filter."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    bind = session.get_bind()
    conds = _conditions(f, sqlite=bind.dialect.name == "sqlite")
    total = session.exec(select(func.count()).select_from(Ticket).where(*conds)).one()
    pages = max(1, -(-int(total) // page_size))
    page = max(1, min(page, pages))
    stmt = select(Ticket).where(*conds).order_by(*urgency_order()).offset((page - 1) * page_size).limit(page_size)
    items = list(session.exec(stmt))
    return QueuePage(items, int(total), page, page_size, ack_failed=_ack_failed(session, items))


def count(session: Session, f: QueueFilter) -> int:
    """Tickets under the filter, without fetching any."""
    conds = _conditions(f, sqlite=session.get_bind().dialect.name == "sqlite")
    return int(session.exec(select(func.count()).select_from(Ticket).where(*conds)).one())


def _ack_failed(session: Session, items: list[Ticket]) -> set[int]:
    """Tickets among ``items`` whose acknowledgment could not be delivered."""
    ids = [t.id for t in items if t.id is not None]
    if not ids:
        return set()
    rows = session.exec(
        select(Outbox.ticket_id).where(
            col(Outbox.ticket_id).in_(ids), col(Outbox.kind) == "ack", col(Outbox.status) == "failed"
        )
    )
    return {r for r in rows if r is not None}


def urgent_open(session: Session) -> int:
    """Open tickets that are emergencies or carry a statutory deadline, whatever the filter."""
    stmt = select(func.count()).select_from(Ticket).where(
        col(Ticket.status).in_(OPEN_STATUSES),
        or_(col(Ticket.emergency).is_(True), col(Ticket.statutory_deadline).is_not(None)),
    )
    return int(session.exec(stmt).one())


def distinct_values(session: Session, column: Any) -> list[str]:
    """Values present in a ticket column, for the filter drop-downs."""
    rows = session.exec(select(column).where(column.is_not(None)).distinct().order_by(column))
    return [str(r) for r in rows if r]
