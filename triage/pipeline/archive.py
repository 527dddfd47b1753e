"""Step 1: the raw bytes go to the archive and the ``raw_message`` table, committed first (per batch)."""

from __future__ import annotations

import logging

from store.db import session_scope
from store.messages import RawFields, add_raws
from store.models import RawMessage
from triage.mailbox.base import Fetched
from triage.parse import MSGID_RE, top_received_time
from triage.pipeline.context import PipelineContext
from triage.pipeline.headers import header_block, headers_named

log = logging.getLogger(__name__)
ARCHIVE_HEADERS = frozenset({"message-id", "received"})  # what the raw row keeps of the headers


def archive_fetched(ctx: PipelineContext, item: Fetched) -> RawMessage:
    """Store ``item`` durably and return its committed row (the existing one if already seen)."""
    return archive_batch(ctx, [item])[0]


def archive_batch(ctx: PipelineContext, items: list[Fetched]) -> list[RawMessage]:
    """Store a batch durably (one fsync pass) and commit its rows in ONE transaction; rows in order.

    Each row is the existing one when its bytes were seen before (after a crash, a UIDVALIDITY
    change, or twice in the batch).
    """
    shas = ctx.archive.put_many([item.raw for item in items])
    fields = [_fields(ctx, sha, item) for sha, item in zip(shas, items, strict=True)]
    with session_scope(ctx.engine) as session:
        added = add_raws(session, fields)
    for row, created in added:
        if not created:
            log.info("message %s seen before (state %s)", row.sha256[:12], row.state, extra={"event": "duplicate"})
    return [row for row, _ in added]


def _fields(ctx: PipelineContext, sha: str, item: Fetched) -> RawFields:
    pairs = headers_named(header_block(item.raw), ARCHIVE_HEADERS)
    ids = MSGID_RE.findall(next((v for k, v in pairs if k.lower() == "message-id"), ""))
    return RawFields(
        sha=sha,
        size=len(item.raw),
        mailbox=ctx.mailbox,
        folder=item.folder,
        uid=item.uid,
        uidvalidity=item.uidvalidity,
        internaldate=item.internaldate,
        received_header_at=top_received_time(pairs),
        message_id=ids[0][:998] if ids else None,
    )
