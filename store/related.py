"""Other recent tickets that share a sender address, a phone number or a target with a ticket.

A forger reuses what worked: the same hijacked mailbox, the same phone number, the same account
asked about under a different pretext. Reviewers see those links on the ticket.

Targets are JSON lists. To stay portable across SQLite and PostgreSQL the query matches the
JSON text of each target (``"@name"``, exactly as the JSON column serialises it) with an
escaped LIKE, then confirms the match on the decoded list, so a substring never counts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Text, cast, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.models import Ticket

PHONE = re.compile(r"^\+\d{6,15}$")
MAX_KEYS = 50  # a message naming hundreds of targets must not build a huge query


@dataclass
class Related:
    """One related ticket and, in plain words, what it shares with the ticket under review."""

    ticket: Ticket
    reasons: list[str] = field(default_factory=list)


def is_phone(target: str) -> bool:
    """Targets hold phone numbers in E.164 form (``+441234567890``)."""
    return bool(PHONE.match(target))


def _conditions(ticket: Ticket, targets: list[str]) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if ticket.sender_address:
        conds.append(col(Ticket.sender_address) == ticket.sender_address.lower())
    as_text = cast(col(Ticket.targets), Text)
    conds += [as_text.contains(json.dumps(t), autoescape=True) for t in targets]
    return conds


def _reasons(ticket: Ticket, other: Ticket, targets: set[str]) -> list[str]:
    reasons: list[str] = []
    if ticket.sender_address and (other.sender_address or "").lower() == ticket.sender_address.lower():
        reasons.append(f"same sender address {ticket.sender_address.lower()}")
    for t in sorted(targets & set(other.targets or [])):
        reasons.append(f"same phone number {t}" if is_phone(t) else f"same target {t}")
    return reasons


def related_tickets(session: Session, ticket: Ticket, days: int = 90, limit: int = 50) -> list[Related]:
    """Tickets received within ``days`` of ``ticket`` (before or after) sharing its sender or a target.

    Newest first, at most ``limit``.
    """
    targets = [t for t in (ticket.targets or []) if isinstance(t, str) and t][:MAX_KEYS]
    conds = _conditions(ticket, targets)
    if not conds:
        return []
    window = timedelta(days=days)
    stmt = (
        select(Ticket)
        .where(or_(*conds))
        .where(col(Ticket.received_at) >= ticket.received_at - window)
        .where(col(Ticket.received_at) <= ticket.received_at + window)
        .order_by(col(Ticket.received_at).desc(), col(Ticket.id).desc())
    )
    if ticket.id is not None:
        stmt = stmt.where(col(Ticket.id) != ticket.id)
    out: list[Related] = []
    wanted = set(targets)
    for other in session.exec(stmt.limit(limit * 4)):
        reasons = _reasons(ticket, other, wanted)
        if reasons:  # the LIKE is only a prefilter: the decoded list decides
            out.append(Related(other, reasons))
        if len(out) >= limit:
            break
    return out
