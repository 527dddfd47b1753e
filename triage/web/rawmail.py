"""Raw bytes of an inbound message from the archive, and its attachments re-parsed on demand."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from sqlmodel import Session

from store.archive import Archive, ArchiveError
from store.models import RawMessage, TicketMessage
from triage.parse import parse_bytes
from triage.settings import Settings

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^\w.\- ()+,]+", re.UNICODE)


@dataclass(frozen=True)
class AttachmentFile:
    filename: str
    content_type: str
    data: bytes


def raw_bytes(session: Session, settings: Settings, message: TicketMessage) -> bytes | None:
    """The archived bytes of an inbound message, or None (outbound/note, purged or missing)."""
    if message.raw_message_id is None:
        return None
    raw = session.get(RawMessage, message.raw_message_id)
    if raw is None or raw.purged_at is not None:
        return None
    try:
        return Archive(settings.archive_dir).get(raw.sha256)
    except (ArchiveError, OSError) as exc:
        log.warning("raw message %s unavailable: %s", raw.sha256, exc)
        return None


def safe_filename(name: str | None, index: int) -> str:
    """A download name without path parts, control characters or quotes."""
    base = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" ._")[:150]
    return base or f"attachment-{index}"


def attachment(session: Session, settings: Settings, message: TicketMessage, index: int) -> AttachmentFile | None:
    """Attachment number ``index`` of the archived message, or None when there is no such one."""
    data = raw_bytes(session, settings, message)
    if data is None:
        return None
    parsed = parse_bytes(data)
    if not 0 <= index < len(parsed.attachments):
        return None
    att = parsed.attachments[index]
    return AttachmentFile(safe_filename(att.filename, index), att.content_type or "application/octet-stream", att.data)
