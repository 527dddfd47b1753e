"""Staff replies to the authority: a template rendered, threaded, queued in the same outbox as acks.

Composition and queueing reuse ``triage.replies`` (signed Message-ID so the authority's answer
threads back, subject with the ticket reference, outbox row plus outbound thread entry); this
module adds the staff templates and the audit event.
"""

from __future__ import annotations

import logging
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session, col, select

from store.audit import record
from store.models import Outbox, Ticket, TicketMessage
from triage.replies.compose import build_message, reply_subject, threading_references
from triage.replies.msgid import new_message_id
from triage.replies.outbox import add_outgoing
from triage.settings import Settings

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates" / "replies"
BODY_LIMIT = 50_000


class ReplyError(ValueError):
    """The reply cannot be queued; the message says why."""


def template_names() -> list[str]:
    return sorted(p.name.removesuffix(".txt.j2") for p in TEMPLATES.glob("*.txt.j2"))


def _last_inbound(session: Session, ticket_id: int) -> TicketMessage | None:
    stmt = (
        select(TicketMessage)
        .where(col(TicketMessage.ticket_id) == ticket_id, col(TicketMessage.direction) == "inbound")
        .order_by(col(TicketMessage.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def render_body(settings: Settings, ticket: Ticket, template: str, body: str) -> str:
    """Plain-text template (no HTML escaping: the result is a text/plain mail body)."""
    if template not in template_names():
        raise ReplyError("unknown reply template")
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined)
    return env.get_template(f"{template}.txt.j2").render(
        sender_name=ticket.sender_name,
        case_reference=ticket.case_reference,
        reference=ticket.reference,
        organisation=settings.organisation,
        body=body.strip(),
    )


def queue_reply(session: Session, settings: Settings, ticket: Ticket, template: str, body: str, actor: str) -> Outbox:
    """Compose the reply (In-Reply-To the last inbound Message-ID) and queue it as kind 'reply'."""
    if len(body) > BODY_LIMIT:
        raise ReplyError("the reply is too long")
    assert ticket.id is not None
    last = _last_inbound(session, ticket.id)
    to = (last.from_address if last else None) or ticket.sender_address
    if not to:
        raise ReplyError("the ticket has no sender address to reply to")
    text = render_body(settings, ticket, template, body)
    earlier = (last.references or "").split() if last else []
    msg = build_message(
        settings,
        to=to,
        subject=reply_subject(ticket.subject, ticket.reference),
        body=text,
        message_id=new_message_id(settings, ticket.reference),
        auto_submitted="no",
        in_reply_to=last.message_id if last else None,
        references=threading_references(earlier, last.message_id if last else None),
        language=ticket.language,
        bulk=False,
    )
    row = add_outgoing(session, settings, ticket, msg, kind="reply")
    session.flush()
    entry = session.exec(select(TicketMessage).where(col(TicketMessage.outbox_id) == row.id)).first()
    if entry is not None:
        entry.author = actor
        session.add(entry)
    record(
        session,
        "reply_queued",
        actor=actor,
        ticket_id=ticket.id,
        detail={"outbox_id": row.id, "template": template, "to": to, "message_id": row.message_id},
    )
    log.info("ticket %s: reply %s queued by %s (outbox %s)", ticket.reference, template, actor, row.id)
    return row
