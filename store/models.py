"""SQLModel tables of le-triage.

Alembic (``store/migrations``) is the only path that creates or changes the schema; these
classes describe it. Families follow Base / table / Public where an API exposes them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

F = TypeVar("F", bound=Callable[..., Any])


def _no_arguments(factory: F) -> F:
    """Declare a default factory's (empty) signature up front.

    Pydantic asks ``inspect.signature`` of every default factory each time a model is built
    without that field (~15 us for a function, ~220 us for the builtin ``list``, whose signature
    it cannot read): a ticket cost ~0.7 ms before its first statement.
    """
    factory.__signature__ = inspect.Signature()  # type: ignore[attr-defined]
    return factory


@_no_arguments
def utcnow() -> datetime:
    """Aware UTC now: every datetime in le-triage is timezone-aware UTC."""
    return datetime.now(UTC)


@_no_arguments
def empty_list() -> list[Any]:
    """Default factory of list columns (see ``_no_arguments``)."""
    return []


@_no_arguments
def empty_dict() -> dict[str, Any]:
    """Default factory of dict columns (see ``_no_arguments``)."""
    return {}


TICKET_STATUSES = ("new", "in_review", "waiting_on_authority", "responded", "closed", "rejected", "spam")
REQUEST_TYPES = (
    "emergency_disclosure",
    "data_disclosure",
    "preservation",
    "content_removal",
    "inquiry",
    "not_law_enforcement",
)
MAIL_CLASSES = ("human", "auto_reply", "bounce", "list", "spam", "loop_self", "unparsed")
OUTBOX_KINDS = ("ack", "reply", "oncall", "pointer")
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "suppressed")


class MailboxState(SQLModel, table=True):
    """Checkpoint per watched folder: UIDVALIDITY and the highest UID fully processed."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("mailbox", "folder"),)
    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(sa_column=Column(String(200), nullable=False))
    folder: str = Field(sa_column=Column(String(500), nullable=False))
    uidvalidity: int | None = None
    last_uid: int = 0
    last_poll_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class RawMessage(SQLModel, table=True):
    """One fetched message exactly as received; its bytes live in the archive by SHA-256."""

    __tablename__ = "raw_message"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(sa_column=Column(String(64), unique=True, nullable=False, index=True))
    size: int
    mailbox: str = Field(default="default", sa_column=Column(String(200), nullable=False))
    folder: str = Field(default="INBOX", sa_column=Column(String(500), nullable=False))
    uid: int | None = None
    uidvalidity: int | None = None
    internaldate: datetime | None = None
    received_header_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow)
    message_id: str | None = Field(default=None, sa_column=Column(String(998), index=True))
    state: str = Field(default="archived", max_length=20)  # archived -> filed -> done (moved on server)
    mail_class: str | None = Field(default=None, max_length=30)
    error: str | None = Field(default=None, sa_column=Column(Text))
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    purged_at: datetime | None = None


class TicketBase(SQLModel):
    reference: str = Field(sa_column=Column(String(32), unique=True, nullable=False, index=True))
    status: str = Field(default="new", max_length=30, index=True)
    mailbox: str = Field(default="default", max_length=200)
    mail_class: str = Field(default="human", max_length=30)
    subject: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sender_address: str | None = Field(default=None, max_length=320)
    sender_name: str | None = Field(default=None, max_length=500)
    received_at: datetime = Field(default_factory=utcnow, index=True)
    language: str | None = Field(default=None, max_length=8)
    agency: str | None = Field(default=None, max_length=500)
    country: str | None = Field(default=None, max_length=2, index=True)
    region: str | None = Field(default=None, max_length=10)
    request_type: str | None = Field(default=None, max_length=40, index=True)
    emergency: bool = Field(default=False, index=True)
    deadline: date | None = None
    statutory_deadline: datetime | None = None
    due_at: datetime | None = Field(default=None, index=True)
    case_reference: str | None = Field(default=None, max_length=500)
    legal_basis: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False, default=list))
    targets: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False, default=list))
    non_disclosure: bool = False
    sender_verified: bool | None = None
    signals: list[dict[str, Any]] = Field(
        default_factory=empty_list, sa_column=Column(JSON, nullable=False, default=list)
    )
    completeness: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False, default=dict)
    )
    needs_review: bool = False
    review_reason: str | None = Field(default=None, sa_column=Column(Text))


class Ticket(TicketBase, table=True):
    """A case: one authority request and everything threaded into it."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    assignee_id: int | None = Field(default=None, foreign_key="user.id")
    follow_up_at: datetime | None = None
    paged_at: datetime | None = None


class TicketField(SQLModel, table=True):
    """The machine value of one extracted field, its evidence, and any reviewer correction."""

    __tablename__ = "ticket_field"
    __table_args__ = (UniqueConstraint("ticket_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    name: str = Field(max_length=40)
    machine_value: Any = Field(default=None, sa_column=Column(JSON))
    confidence: float | None = None
    evidence: list[dict[str, Any]] = Field(
        default_factory=empty_list, sa_column=Column(JSON, nullable=False, default=list)
    )
    corrected_value: Any = Field(default=None, sa_column=Column(JSON))
    corrected: bool = False
    corrected_by: str | None = Field(default=None, max_length=200)
    corrected_at: datetime | None = None


class TicketMessage(SQLModel, table=True):
    """One entry of a ticket's thread: an inbound mail, an outgoing mail, or a staff note."""

    __tablename__ = "ticket_message"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    direction: str = Field(max_length=10)  # inbound | outbound | note
    raw_message_id: int | None = Field(default=None, foreign_key="raw_message.id")
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    mail_class: str = Field(default="human", max_length=30)
    message_id: str | None = Field(default=None, sa_column=Column(String(998), index=True))
    in_reply_to: str | None = Field(default=None, sa_column=Column(Text))
    references: str | None = Field(default=None, sa_column=Column(Text))
    from_address: str | None = Field(default=None, max_length=320)
    to_addresses: str | None = Field(default=None, sa_column=Column(Text))
    subject: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    date: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    author: str | None = Field(default=None, max_length=200)
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    body_html: str | None = Field(default=None, sa_column=Column(Text))
    headers: list[list[str]] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False, default=list))
    attachments: list[dict[str, Any]] = Field(
        default_factory=empty_list, sa_column=Column(JSON, nullable=False, default=list)
    )
    extraction: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_column=Column(Text))


class Outbox(SQLModel, table=True):
    """An outgoing mail (or a recorded decision not to send one), delivered by the sender loop."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    kind: str = Field(default="ack", max_length=20)
    status: str = Field(default="queued", max_length=20, index=True)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    mailbox: str = Field(default="default", max_length=200)
    to_address: str | None = Field(default=None, max_length=320)
    from_address: str | None = Field(default=None, max_length=320)
    message_id: str | None = Field(default=None, sa_column=Column(String(998), index=True))
    subject: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    smtp_response: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None


class SenderRate(SQLModel, table=True):
    """Durable acknowledgment counters per sender key (address or domain) and hour window."""

    __tablename__ = "sender_rate"
    __table_args__ = (UniqueConstraint("key", "mailbox", "window_start"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=320)
    mailbox: str = Field(default="default", max_length=200)
    window_start: datetime
    count: int = 0
    last_ack_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """Who did what, when: a hash chain so an edited or deleted row is detectable."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(default="system", max_length=200)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    action: str = Field(max_length=60, index=True)
    field: str | None = Field(default=None, max_length=60)
    old_value: Any = Field(default=None, sa_column=Column(JSON))
    new_value: Any = Field(default=None, sa_column=Column(JSON))
    detail: dict[str, Any] = Field(default_factory=empty_dict, sa_column=Column(JSON, nullable=False, default=dict))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class User(SQLModel, table=True):
    """A staff account of the review UI."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    role: str = Field(default="reviewer", max_length=20)
    password_hash: str = Field(max_length=500)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    failed_logins: int = 0
    locked_until: datetime | None = None


class WebSession(SQLModel, table=True):
    """A server-side login session; the cookie holds only its random id."""

    __tablename__ = "web_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ApiToken(SQLModel, table=True):
    """An API token (stored hashed) created by an admin."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    user_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    revoked: bool = False


class SenderBlock(SQLModel, table=True):
    """Admin-curated blocked or known-compromised sender addresses or domains."""

    __tablename__ = "sender_block"
    id: int | None = Field(default=None, primary_key=True)
    pattern: str = Field(sa_column=Column(String(320), unique=True, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_by: str = Field(default="system", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ReferenceCounter(SQLModel, table=True):
    """Per-year sequence for human-friendly ticket references (LE-2026-000123)."""

    __tablename__ = "reference_counter"
    year: int = Field(primary_key=True)
    last: int = 0


class Lease(SQLModel, table=True):
    """A named leadership lease (mailbox leader) with its holder and expiry."""

    name: str = Field(primary_key=True, max_length=200)
    holder: str = Field(max_length=200)
    expires_at: datetime
