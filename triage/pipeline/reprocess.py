"""Re-run extraction on a ticket's archived messages (after an nlp upgrade, or a fixed bug).

Reviewer corrections survive: only machine values are rewritten. No acknowledgment is sent.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import select

from store import audit
from store.db import session_scope
from store.messages import raw_of_ticket
from store.models import TicketMessage, utcnow
from store.tickets import find_by_reference
from triage.extraction import extract_parsed
from triage.parse import parse_bytes
from triage.pipeline.context import PipelineContext
from triage.pipeline.file import apply_extraction
from triage.pipeline.filing import received_at
from triage.pipeline.reading import EXTRACTED_CLASSES
from triage.settings import Settings

log = logging.getLogger(__name__)


def reprocess_ticket(settings: Settings, engine: Engine, reference: str) -> int | None:
    """Number of messages re-extracted, or None when the ticket does not exist."""
    ctx = PipelineContext.build(settings, engine)
    with session_scope(engine) as session:
        ticket = find_by_reference(session, reference)
        if ticket is None or ticket.id is None:
            return None
        count = 0
        for index, row in enumerate(raw_of_ticket(session, ticket.id)):
            if row.mail_class not in EXTRACTED_CLASSES or row.size > settings.max_message_bytes:
                continue
            parsed = parse_bytes(ctx.archive.get(row.sha256), ctx.limits)
            parsed.received_at = received_at(row, parsed)
            result = extract_parsed(ctx.extractor, parsed)
            apply_extraction(session, ticket, result, fill_only=index > 0)
            msg = session.exec(select(TicketMessage).where(TicketMessage.raw_message_id == row.id)).first()
            if msg is not None:
                msg.extraction = result.to_json()
                session.add(msg)
            count += 1
        ticket.updated_at = utcnow()
        session.add(ticket)
        audit.record(session, "ticket_reprocessed", ticket_id=ticket.id, detail={"messages": count})
    log.info("reprocessed %s: %d message(s)", reference, count, extra={"ticket": reference})
    return count
