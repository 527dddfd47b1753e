"""Staff replies to the authority: a template rendered, threaded, queued in the outbox.

The Message-ID comes from ``triage.replies.msgid.new_message_id`` (signed, so the authority's
answer threads back to the ticket); while that module is absent, replies are unavailable
rather than sent with an id the daemon would not recognise.
"""

from __future__ import annotations

import importlib
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session, col, select

from store.audit import record
from store.models import Outbox, Ticket, TicketMessage, utcnow
from triage.settings import Settings

TEMPLATES = Path(__file__).parent / "templates" / "replies"
BODY_LIMIT = 50_000


class ReplyError(ValueError):
    """The reply cannot be queued; the message says why."""


def template_names() -> list[str]:
    return sorted(p.name.removesuffix(".txt.j2") for p in TEMPLATES.glob("*.txt.j2"))


def _msgid_factory() -> Any:
    try:
        module = importlib.import_module("triage.replies.msgid")
    except ImportError:
        return None
    return getattr(module, "new_message_id", None)


def available(settings: Settings) -> bool:
    return _msgid_factory() is not None


def _last_inbound(session: Session, ticket_id: int) -> TicketMessage | None:
    stmt = (
        select(TicketMessage)
        .where(col(TicketMessage.ticket_id) == ticket_id, col(TicketMessage.direction) == "inbound")
        .order_by(col(TicketMessage.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def render_body(settings: Settings, ticket: Ticket, template: str, body: str) -> str:
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
    factory = _msgid_factory()
    if factory is None:
        raise ReplyError("replies are not available in this installation yet")
    if len(body) > BODY_LIMIT:
        raise ReplyError("the reply is too long")
    assert ticket.id is not None
    last = _last_inbound(session, ticket.id)
    to = (last.from_address if last else None) or ticket.sender_address
    if not to:
        raise ReplyError("the ticket has no sender address to reply to")
    text = render_body(settings, ticket, template, body)
    subject = ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    if ticket.reference not in subject:
        subject = f"{subject} [{ticket.reference}]"
    msg = EmailMessage()
    msg["From"] = settings.from_address
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())[:900]
    msg["Date"] = formatdate(usegmt=True)
    msg_id = str(factory(settings, ticket.reference))
    msg["Message-ID"] = msg_id
    if last and last.message_id:
        msg["In-Reply-To"] = last.message_id
        msg["References"] = " ".join(filter(None, [last.references or "", last.message_id])).strip()
    msg["Auto-Submitted"] = "no"
    msg.set_content(text)
    outbox = Outbox(
        ticket_id=ticket.id,
        kind="reply",
        status="queued",
        mailbox=ticket.mailbox,
        to_address=to,
        from_address=settings.from_address,
        message_id=msg_id,
        subject=str(msg["Subject"]),
        raw=msg.as_bytes(),
        next_attempt_at=utcnow(),
    )
    session.add(outbox)
    session.flush()
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            direction="outbound",
            outbox_id=outbox.id,
            message_id=msg_id,
            in_reply_to=last.message_id if last else None,
            from_address=settings.from_address,
            to_addresses=to,
            subject=str(msg["Subject"]),
            date=utcnow(),
            author=actor,
            body_text=text,
        )
    )
    record(
        session,
        "reply_queued",
        actor=actor,
        ticket_id=ticket.id,
        detail={"outbox_id": outbox.id, "template": template, "to": to, "message_id": msg_id},
    )
    return outbox
