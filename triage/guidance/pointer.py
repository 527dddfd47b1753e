"""Compose and queue the pointer that answers clearly misdirected mail instead of an acknowledgment.

It goes through the outbox like an acknowledgment (kind ``pointer``), so the sender loop,
its retries and its audit apply; it carries fixed text and settings values only.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from store.audit import record
from store.models import Ticket
from triage.guidance.content import best_language, fill, guide, site_values
from triage.parse import ParsedMail
from triage.replies.compose import build_message, reply_subject, threading_references
from triage.replies.msgid import new_message_id
from triage.replies.outbox import Queued, write_outgoing
from triage.settings import Settings

log = logging.getLogger(__name__)


def pointer_body(settings: Settings, kind: str, lang: str) -> str:
    """Greeting, why not here, where instead, signature: in ``lang``."""
    p = guide(lang)["pointer"]
    values = site_values(settings)
    parts = [p["greeting"], p["intro"], fill(p[kind], values), p["note"], fill(p["signature"], values)]
    return "\n\n".join(parts) + "\n"


def queue_pointer(
    session: Session, settings: Settings, parsed: ParsedMail, ticket: Ticket, kind: str, language: str | None
) -> Queued:
    """Queue the pointer in the caller's transaction (the ticket is still filed, for the record)."""
    lang = best_language(language)
    msg = build_message(
        settings,
        to=parsed.from_address,
        subject=reply_subject(parsed.subject or ticket.subject, ticket.reference),
        body=pointer_body(settings, kind, lang),
        message_id=new_message_id(settings, ticket.reference),
        auto_submitted="auto-replied",
        in_reply_to=parsed.message_id,
        references=threading_references(parsed.references, parsed.message_id),
        language=lang,
    )
    row = write_outgoing(session, settings, ticket, msg, kind="pointer")
    record(session, "pointer_queued", ticket_id=row.ticket_id,
           detail={"outbox_id": row.id, "kind": kind, "language": lang})
    log.info("pointer queued: ticket=%s kind=%s to=%s", ticket.reference, kind, row.to_address)
    return row
