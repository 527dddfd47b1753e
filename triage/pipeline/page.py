"""Step after the commit: page on-call for an emergency (or an hour-scale statutory deadline).

Paging runs after the ticket is committed, in its own transaction, so a slow webhook never
holds the filing transaction. A crash in between loses nothing: the daemon loop's
``page_due`` pages every pageable ticket whose ``paged_at`` is still empty.
"""

from __future__ import annotations

import logging

from sqlmodel import select

from store.db import session_scope
from store.models import Ticket
from triage.pipeline.context import PipelineContext
from triage.replies import paging

log = logging.getLogger(__name__)


def page_if_needed(ctx: PipelineContext, reference: str) -> bool:
    """Page for the ticket ``reference`` when it needs a human now; never raises."""
    if not paging.paging_enabled(ctx.settings):
        return False
    try:
        with session_scope(ctx.engine) as session:
            ticket = session.exec(select(Ticket).where(Ticket.reference == reference)).first()
            return ticket is not None and paging.page_new_ticket(session, ctx.settings, ticket)
    except Exception:
        log.exception("paging for %s failed; the daemon loop retries it", reference)
        return False


def page_repeats(ctx: PipelineContext) -> int:
    """Page again for tickets nobody picked up (and first pages that failed); never raises."""
    if not paging.paging_enabled(ctx.settings):
        return 0
    try:
        with session_scope(ctx.engine) as session:
            return paging.page_due(session, ctx.settings)
    except Exception:
        log.exception("repeat paging failed; will retry")
        return 0
