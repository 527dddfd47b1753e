"""Whether one inbound mail gets an acknowledgment: the checklist, stateless and stateful.

``decide_ack`` applies, in order: the header rules (:mod:`triage.replies.rules`), the class
of the mail, the follow-up rule (15), the already-acknowledged rule, the sender gate, the
old-mail rule (16) and the rate limits (14). The first that says no gives the reason that is
recorded on the ticket. Rate counters are durable ``SenderRate`` rows, incremented atomically
in the caller's transaction only when the answer is yes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, TextClause, bindparam, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from store import blocklist
from store.models import Outbox, SenderRate, Ticket, utcnow
from triage.parse import ParsedMail
from triage.replies.addresses import base_address
from triage.replies.rules import header_no_reply_reasons
from triage.settings import Settings

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=1)
LIVE_ACK_STATUSES = ("queued", "sending", "sent")
GLOBAL_KEY = "global:*"


@dataclass(frozen=True)
class AckDecision:
    send: bool
    reason: str | None  # why not, recorded on the ticket; None when send


def normalize_address(address: str) -> str:
    """Lowercased, trimmed, without a ``+detail`` tag: one counter per person, not per alias."""
    return base_address(address)


def sender_domain(address: str) -> str:
    return normalize_address(address).rpartition("@")[2]


def sender_gate(session: Session, settings: Settings, parsed: ParsedMail, sender_verified: bool | None) -> str | None:
    """THE authenticity gate: None lets the acknowledgment through, else the reason it may not.

    Unverified (or unknown) senders get nothing unless ``settings.ack_unverified``: an
    acknowledgment to a forged From is backscatter, and confirms to a forger that the
    mailbox is live. Blocked senders never get one.
    """
    with session.no_autoflush:  # the blocklist is not written while filing
        block = blocklist.match(session, parsed.from_address)
    if block is not None:
        return f"sender blocked: {block.reason or block.pattern}"
    if sender_verified is not True and not settings.ack_unverified:
        return "sender not verified"
    return None


@cache
def _live_ack_query() -> Select[tuple[int]]:
    """Built once, on the table (no ORM entity): reused with new parameters, it is neither rebuilt nor
    re-keyed, and the session runs it without an autoflush. The statuses are written into the SQL
    (fixed words): an IN of bound values is expanded anew at every execution (half the query's CPU)."""
    table: Table = Outbox.__table__  # type: ignore[attr-defined]
    statuses: list[ColumnElement[str]] = [literal_column(f"'{status}'") for status in LIVE_ACK_STATUSES]
    return select(table.c.id).where(
        table.c.ticket_id == bindparam("ticket_id"), table.c.kind == literal_column("'ack'"),
        table.c.status.in_(statuses),
    ).limit(1)


def already_acknowledged(session: Session, ticket: Ticket, *, fresh_ticket: bool = False) -> bool:
    """A ticket acknowledged, or with an ack queued or being sent (Outbox rows are flushed when added).

    ``fresh_ticket``: the caller inserted the ticket in this transaction and has queued nothing for it
    since, so no outbox row can name it (its id is new, and outbox.ticket_id is a foreign key): the
    outbox is not asked. Without it, an ack queued earlier in the same transaction is found.
    """
    if ticket.acknowledged_at is not None:
        return True
    if ticket.id is None or fresh_ticket:
        return False
    return session.execute(_live_ack_query(), {"ticket_id": ticket.id}).first() is not None


def too_old(settings: Settings, ticket: Ticket, parsed: ParsedMail, now: datetime) -> bool:
    """Rule 16: mail received more than ``ack_max_age_days`` ago (0 turns the rule off)."""
    if settings.ack_max_age_days <= 0:
        return False
    received = ticket.received_at or parsed.received_at or parsed.date
    return received is not None and now - received > timedelta(days=settings.ack_max_age_days)


def window_start(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def _bump(session: Session, key: str, mailbox: str, start: datetime, now: datetime, delta: int) -> int:
    """Atomically add ``delta`` to one counter (insert or update) and return the new count."""
    table: Table = SenderRate.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    stmt: Any
    if delta > 0:
        maker = pg_insert if dialect == "postgresql" else sqlite_insert
        ins = maker(table).values(key=key, mailbox=mailbox, window_start=start, count=delta, last_ack_at=now)
        stmt = ins.on_conflict_do_update(
            index_elements=["key", "mailbox", "window_start"],
            set_={"count": table.c.count + delta, "last_ack_at": now},
        ).returning(table.c.count)
    else:
        stmt = (
            update(table)
            .where(table.c.key == key, table.c.mailbox == mailbox, table.c.window_start == start)
            .values(count=(func.max if dialect == "sqlite" else func.greatest)(table.c.count + delta, 0))
            .returning(table.c.count)
        )
    return int(session.execute(stmt).scalar_one())


def take_rate(session: Session, settings: Settings, mailbox: str, address: str, now: datetime) -> str | None:
    """Rule 14: count one acknowledgment against address, domain and global limits.

    Counters are incremented first (the row lock serialises concurrent workers) and rolled back
    one by one when a limit is passed. Returns the reason when a limit is hit, else None.
    A limit of 0 means no limit.
    """
    start = window_start(now)
    limits = [
        (f"addr:{normalize_address(address)}", settings.ack_rate_per_sender, f"sender {normalize_address(address)}"),
        (f"domain:{sender_domain(address)}", settings.ack_rate_per_domain, f"domain {sender_domain(address)}"),
        (GLOBAL_KEY, settings.ack_rate_global, "all senders"),
    ]
    active = [(key, limit, label) for key, limit, label in limits if limit > 0]
    counts = _take_all(session, [key for key, _, _ in active], mailbox, start, now)
    for key, limit, label in active:
        if counts[key] > limit:
            for k, _, _ in active:
                _bump(session, k, mailbox, start, now, -1)
            return f"rate limit: {limit} acknowledgments an hour to {label}"
    return None


@cache
def _upsert_counts(n: int) -> TextClause:
    """Add one to each of ``n`` counters, returning (key, count); the same SQL on SQLite and PostgreSQL.

    Written as text, built once per size: SQLAlchemy cannot cache an ``on_conflict_do_update``
    construct, so it compiled that statement anew for every acknowledgment.
    """
    table: Table = SenderRate.__table__  # type: ignore[attr-defined]
    rows = ", ".join(f"(:key{i}, :mailbox, :start, 1, :now)" for i in range(n))
    return text(
        f'INSERT INTO sender_rate ("key", mailbox, window_start, count, last_ack_at) VALUES {rows} '
        'ON CONFLICT ("key", mailbox, window_start) DO UPDATE SET count = sender_rate.count + 1, '
        'last_ack_at = excluded.last_ack_at RETURNING "key", count'
    ).bindparams(  # the columns' own types: datetimes stored exactly as the ORM stores them
        bindparam("start", type_=table.c.window_start.type), bindparam("now", type_=table.c.last_ack_at.type)
    )


def _take_all(session: Session, keys: list[str], mailbox: str, start: datetime, now: datetime) -> dict[str, int]:
    """Add one to each counter in ONE multi-row upsert (the usual case: no limit is hit); the new counts."""
    if not keys:
        return {}
    stmt = _upsert_counts(len(keys))
    params = {"mailbox": mailbox, "start": start, "now": now} | {f"key{i}": k for i, k in enumerate(keys)}
    return {str(k): int(c) for k, c in session.execute(stmt, params).all()}


def decide_ack(
    session: Session,
    settings: Settings,
    parsed: ParsedMail,
    ticket: Ticket,
    *,
    new_ticket: bool,
    mail_class: str,
    sender_verified: bool | None,
    now: datetime | None = None,
    no_reply_reasons: list[str] | None = None,
    fresh_ticket: bool = False,
) -> AckDecision:
    """Whether to acknowledge; when yes, the rate counters are already taken in ``session``.

    ``no_reply_reasons``: the header rules' reasons when the caller has them already (they were
    found when the mail was classified, perhaps in another process); else they are looked up.
    ``fresh_ticket``: see ``already_acknowledged`` (the filing step knows it; a statement saved).
    """
    now = now or utcnow()
    reasons = header_no_reply_reasons(parsed, settings) if no_reply_reasons is None else no_reply_reasons
    decision = _decide(session, settings, parsed, ticket, new_ticket, mail_class, sender_verified, now, reasons,
                       fresh_ticket=fresh_ticket)
    log.info(
        "ack decision: ticket=%s message_id=%s send=%s reason=%s",
        ticket.reference, parsed.message_id, decision.send, decision.reason,
    )
    return decision


def _decide(
    session: Session,
    settings: Settings,
    parsed: ParsedMail,
    ticket: Ticket,
    new_ticket: bool,
    mail_class: str,
    sender_verified: bool | None,
    now: datetime,
    reasons: list[str],
    *,
    fresh_ticket: bool = False,
) -> AckDecision:
    if reasons:
        return AckDecision(False, "; ".join(reasons))
    if mail_class != "human":
        return AckDecision(False, f"not a human message ({mail_class})")
    if not new_ticket:
        return AckDecision(False, "follow-up to an existing ticket")
    if already_acknowledged(session, ticket, fresh_ticket=fresh_ticket):
        return AckDecision(False, "ticket already acknowledged")
    gate = sender_gate(session, settings, parsed, sender_verified)
    if gate:
        return AckDecision(False, gate)
    if too_old(settings, ticket, parsed, now):
        return AckDecision(False, f"mail older than {settings.ack_max_age_days} days")
    limited = take_rate(session, settings, ticket.mailbox, parsed.from_address, now)
    if limited:
        return AckDecision(False, limited)
    return AckDecision(True, None)
