"""Build outgoing mail: rendered templates and the headers RFC 3834 asks of automatic mail.

Templates are Jinja2 text files in ``templates/``, one per language; a language without one
falls back to English. Nothing from the inbound mail goes into a body: only the reference,
the time of receipt and fixed text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from store.models import utcnow
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
    )


def ack_languages() -> list[str]:
    """Languages that have an acknowledgment template."""
    return sorted(p.name.split(".")[1] for p in TEMPLATES.glob("ack.*.txt.j2"))


def template_language(language: str | None) -> str:
    """'fr-CA', 'FR', 'fr_FR' -> 'fr' when a French template exists, else English."""
    code = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return code if code in ack_languages() else FALLBACK


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
) -> EmailMessage:
    """An automatic message with every header of checklist 3b."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr((f"{settings.organisation} Law Enforcement Response", settings.from_address))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    if bulk:
        msg["Precedence"] = "bulk"
    msg["X-Loop"] = settings.from_address
    msg.set_content(body, charset="utf-8")
    if language:  # after set_content, which clears every Content-* header
        msg["Content-Language"] = language
    return msg
