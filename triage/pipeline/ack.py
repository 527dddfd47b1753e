"""Step: decide whether to acknowledge, then queue the ack or record why not (same transaction)."""

from __future__ import annotations

from sqlmodel import Session

from store.models import Ticket
from triage.parse import ParsedMail
from triage.replies import outbox, policy
from triage.settings import Settings


def acknowledge(
    session: Session,
    settings: Settings,
    parsed: ParsedMail,
    ticket: Ticket,
    *,
    new_ticket: bool,
    mail_class: str,
    sender_verified: bool | None,
    language: str | None,
) -> str:
    """Queue an acknowledgment or record the decision not to send; returns the decision in words."""
    decision = policy.decide_ack(
        session, settings, parsed, ticket, new_ticket=new_ticket, mail_class=mail_class,
        sender_verified=sender_verified,
    )
    if decision.send:
        row = outbox.queue_ack(session, settings, parsed, ticket, language)
        return f"ack queued {row.message_id}"
    reason = decision.reason or "no reason given"
    outbox.record_suppressed(session, ticket, reason)
    return f"no ack: {reason}"
