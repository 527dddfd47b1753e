"""The steps in order for one archived message: parse, classify, thread, extract, file, ack.

Everything after the archive runs in ONE transaction, so a crash leaves either nothing (the
message is refiled on restart) or the complete result. Bad input never raises out of here:
a message that cannot be parsed, is too large, or breaks a step still becomes a ticket
flagged for manual review, with the error stated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from nlp.types import Extraction, MessageInput
from store.db import session_scope
from store.models import RawMessage, Ticket, utcnow
from triage.extraction import extract_parsed, safe_extract
from triage.mime_limits import ParseLimits
from triage.parse import ParsedMail, parse_bytes
from triage.pipeline.context import PipelineContext
from triage.pipeline.filing import Outcome, fallback_step, file_step
from triage.pipeline.headers import header_block
from triage.pipeline.page import page_if_needed
from triage.replies import rules
from triage.settings import Settings

log = logging.getLogger(__name__)
FATAL_PARSE = ("unreadable headers", "body unreadable")
EXTRACTED_CLASSES = ("human", "unparsed")


def parse_step(ctx: Reading, raw: bytes) -> tuple[ParsedMail, list[str]]:
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


def classify_step(ctx: Reading, parsed: ParsedMail, problems: list[str]) -> str:
    if any(p.startswith(FATAL_PARSE) or "over the" in p for p in problems):
        return "unparsed"
    return rules.classify(parsed, ctx.settings)


def wants_extraction(parsed: ParsedMail, mail_class: str, problems: list[str]) -> bool:
    """Mail from people (or unreadable mail) with some text gets NLP; machine mail and oversized mail do not."""
    if mail_class not in EXTRACTED_CLASSES or (parsed.text is None and parsed.html is None and not parsed.subject):
        return False
    return not any("over the" in p for p in problems)


def extract_step(ctx: PipelineContext, parsed: ParsedMail, mail_class: str, problems: list[str]) -> Extraction | None:
    if not wants_extraction(parsed, mail_class, problems):
        return None
    return extract_parsed(ctx.extractor, parsed)


@dataclass
class Prepared:
    """A message parsed and classified, waiting for its extraction; ``error`` when classifying failed."""

    parsed: ParsedMail
    problems: list[str]
    mail_class: str = "unparsed"
    nlp_input: MessageInput | None = None
    error: str | None = None


@dataclass(frozen=True)
class Arrival:
    """What the archive row knows of a message's receipt: enough to prepare it away from the database."""

    sha256: str
    internaldate: datetime | None = None
    received_header_at: datetime | None = None

    @classmethod
    def of(cls, row: RawMessage) -> Arrival:
        return cls(row.sha256, row.internaldate, row.received_header_at)

    def time_for(self, parsed: ParsedMail) -> datetime:
        """INTERNALDATE is the authoritative time of receipt; SQLite hands it back naive (stored as UTC)."""
        when = self.internaldate or self.received_header_at or parsed.received_at or utcnow()
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class Reading(Protocol):
    """What preparing a message needs: settings and parse limits (no database, no archive)."""

    settings: Settings
    limits: ParseLimits

    def timed(self, step: str) -> AbstractContextManager[None]: ...


@dataclass
class ReadingContext:
    """``Reading`` for a process without metrics: an extraction worker."""

    settings: Settings
    limits: ParseLimits

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        yield


def prepare(ctx: Reading, arrival: Arrival, raw: bytes) -> Prepared:
    """Parse and classify; says what extraction should read. Never raises for the content of a message."""
    with ctx.timed("parse"):
        parsed, problems = parse_step(ctx, raw)
    parsed.received_at = arrival.time_for(parsed)  # statutory clocks start at OUR receipt (INTERNALDATE)
    prep = Prepared(parsed, problems)
    try:
        with ctx.timed("classify"):
            prep.mail_class = classify_step(ctx, parsed, problems)
        if wants_extraction(parsed, prep.mail_class, problems):
            prep.nlp_input = parsed.to_input()
    except Exception as exc:
        log.exception("classifying message %s failed", arrival.sha256[:12])
        prep.error = f"processing failed: {type(exc).__name__}: {exc}"
    return prep


def unreadable(ctx: Reading, arrival: Arrival, raw: bytes, error: str) -> Prepared:
    """A message whose reading killed a worker: only its headers, for a ticket that says so."""
    try:
        parsed = parse_bytes(header_block(raw)[:65536], ctx.limits)
    except Exception:
        parsed = ParsedMail()
    parsed.text = parsed.html = None
    parsed.received_at = arrival.time_for(parsed)
    return Prepared(parsed, [error], error=error)


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
            fresh = session.get(RawMessage, row.id)
            assert fresh is not None
            if fresh.state != "archived":  # filed by an earlier run that died before marking
                ticket = session.get(Ticket, fresh.ticket_id) if fresh.ticket_id else None
                return Outcome(ticket.reference if ticket else "?", False, fresh.mail_class or "", "already filed")
            outcome = file_step(session, ctx, fresh, raw, parsed, prep.mail_class, result, prep.problems)
    except Exception as exc:
        if not isinstance(exc, _StepFailed):
            log.exception("processing message %s failed; filing it for manual review", row.sha256[:12])
        error = str(exc) if isinstance(exc, _StepFailed) else f"processing failed: {type(exc).__name__}: {exc}"
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
