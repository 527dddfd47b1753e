"""Build outgoing mail: rendered templates and the headers RFC 3834 asks of automatic mail.

Templates are Jinja2 text files in ``templates/``, one per language; a language without one
falls back to English. Nothing from the inbound mail goes into a body: only the reference,
the time of receipt and fixed text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from store.models import utcnow
from triage.replies.outgoing import Outgoing, compose
from triage.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
FALLBACK = "en"
SUBJECT_MAX = 200
REFERENCE_TOKEN_RE = re.compile(r"\[LE-\d{4}-\d{6}\]")
RE_PREFIX_RE = re.compile(r"^\s*((re|aw|sv|vs|ref|rif|antw|odp|r)\s*:\s*)+", re.IGNORECASE)


@cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=False,  # plain text mail; no content from the inbound mail is rendered
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # package files: compiled once, not checked on disk for every message
    )


@cache
def _ack_languages() -> tuple[str, ...]:
    return tuple(sorted(p.name.split(".")[1] for p in TEMPLATES.glob("ack.*.txt.j2")))


def ack_languages() -> list[str]:
    """Languages that have an acknowledgment template (the directory is read once, not per message)."""
    return list(_ack_languages())


def template_language(language: str | None) -> str:
    """'fr-CA', 'FR', 'fr_FR' -> 'fr' when a French template exists, else English."""
    code = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return code if code in _ack_languages() else FALLBACK


def render(name: str, **context: Any) -> str:
    return _env().get_template(name).render(**context)


def render_ack(
    settings: Settings, reference: str, received_at: datetime, language: str | None, guidance: str = ""
) -> tuple[str, str]:
    """(language used, body) of an acknowledgment; ``guidance`` is the missing-elements note (fixed text)."""
    lang = template_language(language)
    body = render(
        f"ack.{lang}.txt.j2",
        organisation=settings.organisation,
        reference=reference,
        received_at=utc_text(received_at),
        guidelines_url=settings.ack_guidelines_url,
        guidance=guidance,
    )
    return lang, body


def utc_text(when: datetime) -> str:
    """'2026-11-29 21:25' in UTC (naive values are taken as UTC, never as local time)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def reply_subject(subject: str, reference: str) -> str:
    """'Re: <subject> [LE-...]' without piling up 'Re:' or repeating the reference token."""
    base = " ".join(subject.split())
    base = RE_PREFIX_RE.sub("", base)
    base = REFERENCE_TOKEN_RE.sub("", base).strip()
    if len(base) > SUBJECT_MAX:
        base = base[:SUBJECT_MAX].rstrip() + "…"
    return f"Re: {base} [{reference}]" if base else f"Re: [{reference}]"


def threading_references(references: list[str], message_id: str | None, keep: int = 20) -> list[str]:
    """The original References followed by its Message-ID (RFC 5322 §3.6.4), newest ``keep``."""
    refs = [r for r in references if r != message_id]
    if message_id:
        refs.append(message_id)
    return refs[-keep:]


def build_message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    auto_submitted: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    language: str | None = None,
    bulk: bool = True,
) -> Outgoing:
    """An automatic message with every header of checklist 3b."""
    display = f"{settings.organisation} Law Enforcement Response"
    headers = [
        ("From", f"{display} <{settings.from_address}>"),
        ("To", to),
        ("Subject", subject),
        ("Date", format_datetime(utcnow())),
        ("Message-ID", message_id),
    ]
    if in_reply_to:
        headers.append(("In-Reply-To", in_reply_to))
    if references:
        headers.append(("References", " ".join(references)))
    headers += [("Auto-Submitted", auto_submitted), ("X-Auto-Response-Suppress", "All")]
    if bulk:
        headers.append(("Precedence", "bulk"))
    headers.append(("X-Loop", settings.from_address))
    return compose(headers, body, language, from_display=(display, settings.from_address))
