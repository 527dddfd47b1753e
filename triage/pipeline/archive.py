"""Step 1: the raw bytes go to the archive and the ``raw_message`` table, committed first."""

from __future__ import annotations

import logging

from store.db import session_scope
from store.messages import add_raw
from store.models import RawMessage
from triage.mailbox.base import Fetched
from triage.parse import MSGID_RE, top_received_time
from triage.pipeline.context import PipelineContext
from triage.pipeline.headers import header_block, header_pairs

log = logging.getLogger(__name__)


def archive_fetched(ctx: PipelineContext, item: Fetched) -> RawMessage:
    """Store ``item`` durably and return its committed row (the existing one if already seen)."""
    sha = ctx.archive.put(item.raw)
    pairs = header_pairs(header_block(item.raw))
    ids = MSGID_RE.findall(next((v for k, v in pairs if k.lower() == "message-id"), ""))
    received = top_received_time(pairs)
    with session_scope(ctx.engine) as session:
        row, created = add_raw(
            session,
            sha=sha,
            size=len(item.raw),
            mailbox=ctx.mailbox,
            folder=item.folder,
            uid=item.uid,
            uidvalidity=item.uidvalidity,
            internaldate=item.internaldate,
            received_header_at=received,
            message_id=ids[0][:998] if ids else None,
        )
    if not created:
        log.info("message %s seen before (state %s)", sha[:12], row.state, extra={"event": "duplicate"})
    return row
