"""The steps in order for one archived message: parse, classify, thread, extract, file, ack.

Everything after the archive runs in ONE transaction (per message, or per batch of messages
read together), so a crash leaves either nothing (the message is refiled on restart) or the
complete result. Bad input never raises out of here:
a message that cannot be parsed, is too large, or breaks a step still becomes a ticket
flagged for manual review, with the error stated.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from nlp.types import Extraction
from store.db import session_scope
from store.models import RawMessage, Ticket
from triage.extraction import extract_parsed, safe_extract
from triage.mailbox.base import Fetched
from triage.parse import ParsedMail
from triage.pipeline.archive import archive_fetched
from triage.pipeline.context import PipelineContext
from triage.pipeline.filing import AlreadyFiled, Outcome, fallback_step, file_step
from triage.pipeline.page import page_if_needed
from triage.pipeline.reading import (
    Arrival,
    Prepared,
    prepare,
    wants_extraction,
)

log = logging.getLogger(__name__)
Filing = tuple[RawMessage, bytes, Prepared, Extraction | None]  # an archived message, read, to be filed


def extract_step(ctx: PipelineContext, parsed: ParsedMail, mail_class: str, problems: list[str]) -> Extraction | None:
    if not wants_extraction(parsed, mail_class, problems):
        return None
    return extract_parsed(ctx.extractor, parsed)


def finish(ctx: PipelineContext, row: RawMessage, raw: bytes, prep: Prepared, result: Extraction | None) -> Outcome:
    """File a prepared message with its extraction in one transaction; commits.

    Raises only when the database itself is unusable; any other failure files the message on
    a review ticket with the error stated.
    """
    parsed = prep.parsed
    try:
        if prep.error is not None:
            raise _StepFailed(prep.error)
        with ctx.timed("file"), session_scope(ctx.engine) as session:
            outcome = _file(session, ctx, row, raw, prep, result)
    except AlreadyFiled:  # filed by an earlier run that died before marking: this filing was rolled back
        return already_filed(ctx, row)
    except Exception as exc:
        if not isinstance(exc, _StepFailed):
            log.exception("processing message %s failed; filing it for manual review", row.sha256[:12])
        error = str(exc) if isinstance(exc, _StepFailed) else f"processing failed: {type(exc).__name__}: {exc}"
        with session_scope(ctx.engine) as session:
            fresh = session.get(RawMessage, row.id)
            assert fresh is not None
            outcome = fallback_step(session, ctx, fresh, parsed, error)
    return _announce(ctx, parsed, outcome)


def finish_many(ctx: PipelineContext, items: list[Filing]) -> list[Outcome]:
    """File several prepared messages in ONE transaction (one commit, one audit-chain lock).

    All or nothing: when any message fails (a step error, a message filed meanwhile by another
    run, a database error), the transaction is rolled back and every message is filed again in
    a transaction of its own by ``finish``, which sets the failing one aside for review.
    """
    if len(items) < 2 or any(prep.error is not None for _, _, prep, _ in items):
        return [finish(ctx, *item) for item in items]
    before = [_filing_state(row) for row, _, _, _ in items]
    try:
        with ctx.timed_batch("file", len(items)), session_scope(ctx.engine) as session:
            outcomes = [_file(session, ctx, row, raw, prep, result) for row, raw, prep, result in items]
    except Exception as exc:
        for (row, _, _, _), state in zip(items, before, strict=True):  # rolled back: so are the rows we hold
            for name, value in state.items():
                set_committed_value(row, name, value)
        log.warning("filing %d messages together failed (%s: %s); filing them one by one", len(items),
                    type(exc).__name__, exc, extra={"event": "batch_refile"})
        return [finish(ctx, *item) for item in items]
    return [_announce(ctx, prep.parsed, outcome) for (_, _, prep, _), outcome in zip(items, outcomes, strict=True)]


def _filing_state(row: RawMessage) -> dict[str, object]:
    return {name: getattr(row, name) for name in ("state", "ticket_id", "mail_class", "error")}


def _file(
    session: Session, ctx: PipelineContext, row: RawMessage, raw: bytes, prep: Prepared, result: Extraction | None
) -> Outcome:
    return file_step(session, ctx, row, raw, prep.parsed, prep.mail_class, result, prep.problems,
                     prep.no_reply_reasons)


def _announce(ctx: PipelineContext, parsed: ParsedMail, outcome: Outcome) -> Outcome:
    """After the commit: page for what needs a human now, and log the decision."""
    if outcome.mail_class == "human":
        page_if_needed(ctx, outcome.reference)
    log.info(
        "message %s -> %s%s [%s]: %s", parsed.message_id or "(no message-id)", outcome.reference,
        " (new)" if outcome.new_ticket else " (thread)", outcome.mail_class, outcome.decision,
        extra={"message_id": parsed.message_id, "ticket": outcome.reference, "event": "decision"},
    )
    return outcome


def already_filed(ctx: PipelineContext, row: RawMessage) -> Outcome:
    with session_scope(ctx.engine) as session:
        fresh = session.get(RawMessage, row.id)
        ticket = session.get(Ticket, fresh.ticket_id) if fresh is not None and fresh.ticket_id else None
        mail_class = fresh.mail_class or "" if fresh is not None else ""
    return Outcome(ticket.reference if ticket else "?", False, mail_class, "already filed")


class _StepFailed(Exception):
    """A step before filing failed; its message is already the ticket's error."""


def process_raw(ctx: PipelineContext, row: RawMessage, raw: bytes) -> Outcome:
    """File one archived message in this process: prepare, extract, finish; commits."""
    prep = prepare(ctx, Arrival.of(row), raw)
    result = None
    if prep.nlp_input is not None:
        with ctx.timed("extract"):
            result = safe_extract(ctx.extractor, prep.nlp_input)
    return finish(ctx, row, raw, prep, result)


def run_item(ctx: PipelineContext, item: Fetched) -> Outcome | None:
    """Archive then file one fetched message; None when it was already filed before."""
    row: RawMessage = archive_fetched(ctx, item)
    if row.state != "archived":
        return None
    return process_raw(ctx, row, item.raw)
