"""Step: decide whether to acknowledge, then queue the ack or record why not (same transaction)."""

from __future__ import annotations

from sqlmodel import Session

from store.models import Ticket
from triage.guidance.misdirected import pointer_kind
from triage.guidance.pointer import queue_pointer
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
    no_reply_reasons: list[str] | None = None,
    fresh_ticket: bool = False,
    preceding: outbox.Preceding = outbox.Preceding(),
) -> str:
    """Queue an acknowledgment or record the decision not to send; returns the decision in words.

    ``no_reply_reasons``: ``rules.header_no_reply_reasons`` of the mail when the caller has them
    (computed where it was classified); else they are looked up again. ``fresh_ticket``: the ticket
    was inserted in this transaction and nothing was queued for it since (``policy.already_acknowledged``).
    ``preceding``: the caller's rows still to write (its thread entry and audit event), written before
    the acknowledgment's own, in the same statements.
    """
    # misdirected mail (issue 8): a pointer instead of the ack, under the same rules; its own sender check
    pointer = pointer_kind(settings, parsed, request_type=ticket.request_type, sender_verified=sender_verified,
                           signals=ticket.signals or []) if new_ticket and mail_class == "human" else None
    decision = policy.decide_ack(
        session, settings, parsed, ticket, new_ticket=new_ticket, mail_class=mail_class,
        sender_verified=True if pointer else sender_verified, no_reply_reasons=no_reply_reasons,
        fresh_ticket=fresh_ticket,
    )
    if decision.send and pointer:
        outbox.write_preceding(session, preceding)
        row = queue_pointer(session, settings, parsed, ticket, pointer, language)
        return f"pointer ({pointer}) queued {row.message_id}"
    if decision.send:
        row = outbox.queue_ack(session, settings, parsed, ticket, language, preceding)
        return f"ack queued {row.message_id}"
    reason = decision.reason or "no reason given"
    outbox.record_suppressed(session, ticket, reason, preceding)
    return f"no ack: {reason}"
