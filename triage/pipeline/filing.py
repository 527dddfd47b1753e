"""Filing one message in the open transaction: thread or create the ticket, attach the message,
record the audit event, decide the acknowledgment. A failed step falls back to a review ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from nlp.types import Extraction
from store import audit
from store.messages import insert_message, mark_filed
from store.models import RawMessage, Ticket, utcnow
from store.tickets import TicketDraft, create_ticket, insert_draft
from triage.parse import ParsedMail
from triage.pipeline.ack import acknowledge
from triage.pipeline.context import PipelineContext
from triage.pipeline.file import apply_values, flag_blocked_sender, flag_for_review, inbound_message, store_fields
from triage.pipeline.reading import Arrival
from triage.pipeline.thread import find_thread
from triage.replies.outbox import Preceding

REOPEN_STATUSES = ("waiting_on_authority", "responded", "closed")


@dataclass(frozen=True)
class Outcome:
    """What happened to one message, for the decision log and the tests."""

    reference: str
    new_ticket: bool
    mail_class: str
    decision: str
    request_type: str | None = None


def received_at(row: RawMessage, parsed: ParsedMail) -> datetime:
    """The ticket's time of receipt: the same rule the reading step uses (``Arrival.time_for``)."""
    return Arrival.of(row).time_for(parsed)


class AlreadyFiled(Exception):
    """The raw message was filed by an earlier run (which died before marking it): roll this filing back."""


def file_step(
    session: Session, ctx: PipelineContext, row: RawMessage, raw: bytes, parsed: ParsedMail, mail_class: str,
    result: Extraction | None, problems: list[str], no_reply_reasons: list[str] | None = None,
) -> Outcome:
    """Thread or create the ticket, attach the message, decide the acknowledgment.

    ``row`` may come from another session: it is only read, and marked filed by one UPDATE that
    also checks it is still "archived" (``AlreadyFiled`` otherwise).
    """
    found, how = find_thread(session, ctx.settings, parsed, raw, mail_class)
    new_ticket = found is None
    errors = problems + (result.errors if result is not None else [])
    # a new ticket is filled as a plain draft, then inserted with one statement (no UPDATE after)
    target: Ticket | TicketDraft = found if found is not None else TicketDraft(
        received_at=received_at(row, parsed),
        mailbox=ctx.mailbox,
        mail_class=mail_class,
        status="spam" if mail_class == "spam" else "new",
        subject=parsed.subject[:5000],
        sender_address=parsed.from_address[:320] or None,
        sender_name=parsed.from_name[:500] or None,
    )
    target.updated_at = utcnow()
    if result is not None:
        apply_values(target, result, fill_only=not new_ticket)
    flag_for_review(target, errors)
    flag_blocked_sender(session, target, parsed.from_address)
    if isinstance(target, TicketDraft):
        ticket = insert_draft(session, target)
    else:
        ticket = target
        if mail_class == "human" and ticket.status in REOPEN_STATUSES:
            audit.record(session, "ticket_reopened", ticket_id=ticket.id, old=ticket.status, new="in_review")
            ticket.status, ticket.closed_at = "in_review", None
        session.add(ticket)
    assert ticket.id is not None
    if result is not None:
        store_fields(session, ticket.id, result, fill_only=not new_ticket, new_ticket=new_ticket)
    error = "; ".join(errors) or None
    if not mark_filed(session, row, ticket.id, mail_class, error):
        raise AlreadyFiled(row.sha256)
    # the thread entry and the audit event are written by the acknowledgment step, each in one statement
    # with its own row of the same table (the event before the ack's in the chain, as if recorded here)
    filed = Preceding(
        events=(audit.NewEvent("ticket_created" if new_ticket else "message_threaded", ticket_id=ticket.id,
                               detail={"message_id": parsed.message_id, "mail_class": mail_class, "how": how,
                                       "raw_sha256": row.sha256}),),
        thread_rows=(inbound_message(ticket, row, parsed, mail_class, result, error),),
    )
    session.flush()  # the filing's one flush (its Core writes do not flush)
    decision = acknowledge(
        session, ctx.settings, parsed, ticket, new_ticket=new_ticket, mail_class=mail_class,
        sender_verified=result.sender_verified if result is not None else None,
        language=(result.language if result is not None else None) or ticket.language,
        no_reply_reasons=no_reply_reasons, fresh_ticket=new_ticket,  # inserted above, nothing queued for it yet
        preceding=filed,
    )
    return Outcome(ticket.reference, new_ticket, mail_class, decision, ticket.request_type)


def fallback_step(session: Session, ctx: PipelineContext, row: RawMessage, parsed: ParsedMail, error: str) -> Outcome:
    """A step failed unexpectedly: file the message on its own ticket for manual review, no ack."""
    ticket = create_ticket(
        session, received_at=received_at(row, parsed),
        mailbox=ctx.mailbox, mail_class="unparsed", subject=parsed.subject[:5000],
        sender_address=parsed.from_address[:320] or None, needs_review=True, review_reason=error[:10_000],
    )
    assert ticket.id is not None
    insert_message(session, inbound_message(ticket, row, parsed, "unparsed", None, error))
    row.ticket_id, row.state, row.mail_class, row.error = ticket.id, "filed", "unparsed", error
    session.add(row)
    session.flush()
    audit.record(session, "ticket_created", ticket_id=ticket.id, detail={"error": error, "raw_sha256": row.sha256})
    return Outcome(ticket.reference, True, "unparsed", f"no ack: processing failed ({error})")
