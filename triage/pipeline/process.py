"""The steps in order for one archived message: parse, classify, thread, extract, file, ack.

Everything after the archive runs in ONE transaction, so a crash leaves either nothing (the
message is refiled on restart) or the complete result. Bad input never raises out of here:
a message that cannot be parsed, is too large, or breaks a step still becomes a ticket
flagged for manual review, with the error stated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from nlp.types import Extraction
from store import audit
from store.db import session_scope
from store.models import RawMessage, Ticket, utcnow
from store.tickets import create_ticket
from triage.extraction import extract_parsed
from triage.parse import ParsedMail, parse_bytes
from triage.pipeline.ack import acknowledge
from triage.pipeline.context import PipelineContext
from triage.pipeline.file import apply_extraction, flag_blocked_sender, flag_for_review, inbound_message
from triage.pipeline.headers import header_block
from triage.pipeline.page import page_if_needed
from triage.pipeline.thread import find_thread
from triage.replies import rules

log = logging.getLogger(__name__)
FATAL_PARSE = ("unreadable headers", "body unreadable")
EXTRACTED_CLASSES = ("human", "unparsed")
REOPEN_STATUSES = ("waiting_on_authority", "responded", "closed")


@dataclass(frozen=True)
class Outcome:
    """What happened to one message, for the decision log and the tests."""

    reference: str
    new_ticket: bool
    mail_class: str
    decision: str
    request_type: str | None = None


def parse_step(ctx: PipelineContext, raw: bytes) -> tuple[ParsedMail, list[str]]:
    """Parse, or only read the headers of an oversized message; returns the errors that need review."""
    limit = ctx.settings.max_message_bytes
    if len(raw) > limit:
        parsed = parse_bytes(header_block(raw), ctx.limits)
        parsed.text = None
        return parsed, [f"message of {len(raw)} bytes is over the {limit}-byte limit: not parsed"]
    parsed = parse_bytes(raw, ctx.limits)
    problems = list(parsed.errors)  # includes parsed.limit_errors: each names the limit, and flags the ticket
    body = raw[len(header_block(raw)):]
    if not (parsed.text or parsed.html or parsed.attachments) and body.strip():
        problems.append(f"no readable body: {len(body)} bytes could not be decoded (see the raw message)")
    return parsed, problems


def classify_step(ctx: PipelineContext, parsed: ParsedMail, problems: list[str]) -> str:
    if any(p.startswith(FATAL_PARSE) or "over the" in p for p in problems):
        return "unparsed"
    return rules.classify(parsed, ctx.settings)


def extract_step(ctx: PipelineContext, parsed: ParsedMail, mail_class: str, problems: list[str]) -> Extraction | None:
    if mail_class not in EXTRACTED_CLASSES or (parsed.text is None and parsed.html is None and not parsed.subject):
        return None
    if any("over the" in p for p in problems):
        return None
    return extract_parsed(ctx.extractor, parsed)


def received_at(row: RawMessage, parsed: ParsedMail) -> datetime:
    """INTERNALDATE is the authoritative time of receipt; SQLite hands it back naive (stored as UTC)."""
    when = row.internaldate or row.received_header_at or parsed.received_at or utcnow()
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def file_step(
    session: Session, ctx: PipelineContext, row: RawMessage, raw: bytes, parsed: ParsedMail, mail_class: str,
    result: Extraction | None, problems: list[str],
) -> Outcome:
    """Thread or create the ticket, attach the message, decide the acknowledgment."""
    ticket, how = find_thread(session, ctx.settings, parsed, raw, mail_class)
    new_ticket = ticket is None
    if ticket is None:
        ticket = create_ticket(
            session,
            received_at=received_at(row, parsed),
            mailbox=ctx.mailbox,
            mail_class=mail_class,
            status="spam" if mail_class == "spam" else "new",
            subject=parsed.subject[:5000],
            sender_address=parsed.from_address[:320] or None,
            sender_name=parsed.from_name[:500] or None,
        )
    assert ticket.id is not None
    ticket.updated_at = utcnow()  # set before the extraction's flush: one UPDATE of the ticket, not two
    errors = problems + (result.errors if result is not None else [])
    if result is not None:
        apply_extraction(session, ticket, result, fill_only=not new_ticket, new_ticket=new_ticket)
    flag_for_review(ticket, errors)
    flag_blocked_sender(session, ticket, parsed.from_address)
    if not new_ticket and mail_class == "human" and ticket.status in REOPEN_STATUSES:
        audit.record(session, "ticket_reopened", ticket_id=ticket.id, old=ticket.status, new="in_review")
        ticket.status, ticket.closed_at = "in_review", None
    session.add(ticket)
    msg = inbound_message(ticket, row, parsed, mail_class, result, "; ".join(errors) or None)
    session.add(msg)
    row.ticket_id, row.state, row.mail_class = ticket.id, "filed", mail_class
    row.error = "; ".join(errors) or None
    session.add(row)
    session.flush()
    audit.record(session, "ticket_created" if new_ticket else "message_threaded", ticket_id=ticket.id,
                 detail={"message_id": parsed.message_id, "mail_class": mail_class, "how": how,
                         "raw_sha256": row.sha256})
    decision = acknowledge(
        session, ctx.settings, parsed, ticket, new_ticket=new_ticket, mail_class=mail_class,
        sender_verified=result.sender_verified if result is not None else None,
        language=(result.language if result is not None else None) or ticket.language,
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
    session.add(inbound_message(ticket, row, parsed, "unparsed", None, error))
    row.ticket_id, row.state, row.mail_class, row.error = ticket.id, "filed", "unparsed", error
    session.add(row)
    session.flush()
    audit.record(session, "ticket_created", ticket_id=ticket.id, detail={"error": error, "raw_sha256": row.sha256})
    return Outcome(ticket.reference, True, "unparsed", f"no ack: processing failed ({error})")


def process_raw(ctx: PipelineContext, row: RawMessage, raw: bytes) -> Outcome:
    """File one archived message; commits. Raises only when the database itself is unusable."""
    with ctx.timed("parse"):
        parsed, problems = parse_step(ctx, raw)
    parsed.received_at = received_at(row, parsed)  # statutory clocks start at OUR receipt (INTERNALDATE)
    try:
        with ctx.timed("classify"):
            mail_class = classify_step(ctx, parsed, problems)
        with ctx.timed("extract"):
            result = extract_step(ctx, parsed, mail_class, problems)
        with ctx.timed("file"), session_scope(ctx.engine) as session:
            fresh = session.get(RawMessage, row.id)
            assert fresh is not None
            if fresh.state != "archived":  # filed by an earlier run that died before marking
                ticket = session.get(Ticket, fresh.ticket_id) if fresh.ticket_id else None
                return Outcome(ticket.reference if ticket else "?", False, fresh.mail_class or "", "already filed")
            outcome = file_step(session, ctx, fresh, raw, parsed, mail_class, result, problems)
    except Exception as exc:
        log.exception("processing message %s failed; filing it for manual review", row.sha256[:12])
        error = f"processing failed: {type(exc).__name__}: {exc}"
        with session_scope(ctx.engine) as session:
            fresh = session.get(RawMessage, row.id)
            assert fresh is not None
            outcome = fallback_step(session, ctx, fresh, parsed, error)
    if outcome.mail_class == "human":
        page_if_needed(ctx, outcome.reference)
    log.info(
        "message %s -> %s%s [%s]: %s", parsed.message_id or "(no message-id)", outcome.reference,
        " (new)" if outcome.new_ticket else " (thread)", outcome.mail_class, outcome.decision,
        extra={"message_id": parsed.message_id, "ticket": outcome.reference, "event": "decision"},
    )
    return outcome
