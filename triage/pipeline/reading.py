"""Reading one message: parse, classify, and say what extraction should read.

No database and no archive here: the daemon prepares each message (bounded by the MIME limits)
and hands only the extractor's input to the extraction worker, which imports this module for
the types alone (the worker starts faster for it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from nlp.types import MessageInput
from triage.mime_limits import ParseLimits
from triage.parse import ParsedMail, parse_bytes
from triage.pipeline.headers import header_block
from triage.replies import rules
from triage.settings import Settings

if TYPE_CHECKING:  # only for a type: the worker never imports the database models
    from store.models import RawMessage

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


def classify_step(ctx: Reading, parsed: ParsedMail, problems: list[str]) -> tuple[str, list[str]]:
    """The stored class and the header rules' no-reply reasons, from one run of the rules."""
    mail_class, reasons = rules.classify_with_reasons(parsed, ctx.settings)
    if any(p.startswith(FATAL_PARSE) or "over the" in p for p in problems):
        return "unparsed", reasons
    return mail_class, reasons


def wants_extraction(parsed: ParsedMail, mail_class: str, problems: list[str]) -> bool:
    """Mail from people (or unreadable mail) with some text gets NLP; machine mail and oversized mail do not."""
    if mail_class not in EXTRACTED_CLASSES or (parsed.text is None and parsed.html is None and not parsed.subject):
        return False
    return not any("over the" in p for p in problems)


@dataclass
class Prepared:
    """A message parsed and classified, waiting for its extraction; ``error`` when classifying failed."""

    parsed: ParsedMail
    problems: list[str]
    mail_class: str = "unparsed"
    nlp_input: MessageInput | None = None
    error: str | None = None
    no_reply_reasons: list[str] | None = None  # the header rules' findings, computed once while classifying


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
        when = self.internaldate or self.received_header_at or parsed.received_at or datetime.now(UTC)
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
            prep.mail_class, prep.no_reply_reasons = classify_step(ctx, parsed, problems)
        if wants_extraction(parsed, prep.mail_class, problems):
            prep.nlp_input = parsed.to_input()
    except Exception as exc:
        log.exception("classifying message %s failed", arrival.sha256[:12])
        prep.error = f"processing failed: {type(exc).__name__}: {exc}"
    return prep
