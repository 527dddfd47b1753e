"""On-call paging: an emergency or an hour-scale statutory deadline must reach a human at once.

A page carries the reference, type, country, deadline and a link, never the message's
content, subject or targets: pages travel over channels (chat, phone) we do not control.
It goes as an email through the outbox (kind 'oncall') and/or a JSON POST to a webhook,
and is repeated every ``oncall_repeat_minutes`` while the ticket is still new and unassigned.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from store.audit import record
from store.models import AuditEvent, Ticket, utcnow
from triage.replies.compose import build_message, render, utc_text
from triage.replies.msgid import new_message_id
from triage.replies.outbox import add_outgoing
from triage.settings import Settings

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT = 5.0
PAGEABLE_STATUSES = ("new",)  # picked up (in review, responded...) means a human has it


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def needs_page(settings: Settings, ticket: Ticket) -> bool:
    """An emergency, or a statutory deadline within ``oncall_deadline_hours`` of receipt."""
    if ticket.mail_class != "human" or ticket.status in ("spam", "closed", "rejected"):
        return False
    if ticket.emergency:
        return True
    if ticket.statutory_deadline is None:
        return False
    horizon = timedelta(hours=settings.oncall_deadline_hours)
    return _aware(ticket.statutory_deadline) - _aware(ticket.received_at) <= horizon


def paging_enabled(settings: Settings) -> bool:
    return bool(settings.oncall_email or settings.oncall_webhook)


def page_payload(settings: Settings, ticket: Ticket, repeat: int) -> dict[str, Any]:
    """The fields a page carries: no content, subject, sender or target of the request."""
    deadline = ticket.statutory_deadline or ticket.deadline
    return {
        "reference": ticket.reference,
        "emergency": ticket.emergency,
        "request_type": ticket.request_type,
        "country": ticket.country,
        "deadline": deadline.isoformat() if deadline else None,
        "received_at": _aware(ticket.received_at).isoformat(),
        "link": f"{settings.base_url.rstrip('/')}/tickets/{ticket.reference}",
        "repeat": repeat,
    }


def _queue_email(session: Session, settings: Settings, ticket: Ticket, payload: dict[str, Any]) -> str:
    what = "EMERGENCY" if ticket.emergency else "DEADLINE"
    again = f" (repeat {payload['repeat']})" if payload["repeat"] else ""
    body = render(
        "oncall.txt.j2",
        **payload | {"received_at": utc_text(ticket.received_at), "repeat_minutes": settings.oncall_repeat_minutes},
    )
    msg = build_message(
        settings,
        to=settings.oncall_email,
        subject=f"[{what}] {ticket.reference} {ticket.request_type or 'request'} {ticket.country or ''}{again}".strip(),
        body=body,
        message_id=new_message_id(settings, ticket.reference),
        auto_submitted="auto-generated",
        bulk=False,
    )
    row = add_outgoing(session, settings, ticket, msg, kind="oncall")
    return f"email queued (outbox {row.id})"


def _post_webhook(settings: Settings, payload: dict[str, Any]) -> str:
    headers = {"User-Agent": "le-triage-paging"}
    token = settings.oncall_webhook_token.get_secret_value()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(settings.oncall_webhook, json=payload, headers=headers, timeout=WEBHOOK_TIMEOUT)
    response.raise_for_status()
    return f"webhook {response.status_code}"


def _pages_so_far(session: Session, ticket_id: int) -> int:
    query = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.ticket_id == ticket_id, AuditEvent.action == "paged"
    )
    return int(session.exec(query).one())


def send_page(session: Session, settings: Settings, ticket: Ticket, now: datetime) -> bool:
    """Page every configured channel; True when at least one took it (then ``paged_at`` is set)."""
    if ticket.id is None:
        session.add(ticket)
        session.flush()
    assert ticket.id is not None
    payload = page_payload(settings, ticket, _pages_so_far(session, ticket.id))
    done: list[str] = []
    errors: list[str] = []
    if settings.oncall_email:
        done.append(_queue_email(session, settings, ticket, payload))
    if settings.oncall_webhook:
        try:
            done.append(_post_webhook(settings, payload))
        except (httpx.HTTPError, ValueError) as exc:
            errors.append(f"webhook: {type(exc).__name__}: {exc}")
    if done:
        ticket.paged_at = now
        session.add(ticket)
        record(session, "paged", ticket_id=ticket.id, detail={"channels": done, "errors": errors,
                                                               "repeat": payload["repeat"]})
    else:
        record(session, "page_failed", ticket_id=ticket.id, detail={"errors": errors})
    log.warning("page %s: ticket=%s repeat=%d %s %s", "sent" if done else "FAILED", ticket.reference,
                payload["repeat"], done, errors)
    return bool(done)


def page_new_ticket(session: Session, settings: Settings, ticket: Ticket) -> bool:
    """Called when a ticket is filed: page at once if it needs a human now. True when paged."""
    if not paging_enabled(settings) or ticket.paged_at is not None or not needs_page(settings, ticket):
        return False
    return send_page(session, settings, ticket, utcnow())


def page_due(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Called each daemon loop: page again for tickets nobody picked up; returns pages sent.

    Also retries tickets whose first page failed on every channel (``paged_at`` still empty).
    """
    if not paging_enabled(settings):
        return 0
    now = now or utcnow()
    cutoff = now - timedelta(minutes=settings.oncall_repeat_minutes)
    query = select(Ticket).where(
        col(Ticket.status).in_(PAGEABLE_STATUSES),
        col(Ticket.assignee_id).is_(None),
        Ticket.mail_class == "human",
        (col(Ticket.emergency).is_(True)) | (col(Ticket.statutory_deadline).is_not(None)),
        (col(Ticket.paged_at).is_(None)) | (col(Ticket.paged_at) <= cutoff),
    )
    sent = 0
    for ticket in session.exec(query.order_by(col(Ticket.received_at)).limit(100)).all():
        if needs_page(settings, ticket):
            sent += send_page(session, settings, ticket, now)
    return sent
