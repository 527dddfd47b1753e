"""Text of attachments: PDF (pypdf), DOCX (python-docx), plain text, and attached e-mails.

Every reader is defensive: a broken file yields its name and an error note, never an exception.
"""

from __future__ import annotations

import email
import email.policy
import io
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from nlp.htmltext import html_to_text
from nlp.types import Attachment

log = logging.getLogger(__name__)
MAX_PDF_PAGES = 20


@dataclass
class AttachmentText:
    names: list[str] = field(default_factory=list)  # file names: they can carry case numbers
    texts: list[str] = field(default_factory=list)  # extracted document text
    messages: list[str] = field(default_factory=list)  # attached e-mails (often the original)
    errors: list[str] = field(default_factory=list)


def load_readers() -> None:
    """Import the PDF and DOCX libraries (~0.5 s together): at start-up, not in the first mail with a document."""
    import docx  # noqa: F401
    import pypdf  # noqa: F401


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import STREAM_TRUNCATED_PREMATURELY, PdfStreamError

    if _no_eof_marker(data):  # pypdf would read the whole file backwards, line by line, then fail so
        raise PdfStreamError(STREAM_TRUNCATED_PREMATURELY)
    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "") for page in reader.pages[:MAX_PDF_PAGES]).strip()


def _no_eof_marker(data: bytes) -> bool:
    """No '%%EOF' anywhere and no truncated marker ending the last line: a file pypdf cannot open."""
    return bool(data) and b"%%EOF" not in data and not data.rstrip().endswith((b"%", b"%%E", b"%%EO"))


def docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(ln for ln in lines if ln.strip())


def message_text(data: bytes) -> str:
    """An attached e-mail as 'From/Subject' lines plus its readable body."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    head = [f"{k}: {msg.get(k)}" for k in ("From", "Date", "Subject") if msg.get(k)]
    return "\n".join(head) + "\n\n" + body_of(msg)


def body_of(msg: Message) -> str:
    """Preferred plain text of a message; HTML converted when there is no plain part."""
    plain: list[str] = []
    html: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        try:
            text = part.get_content() if isinstance(part, EmailMessage) else str(part.get_payload(decode=True))
        except Exception:
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        (plain if ctype == "text/plain" else html).append(str(text))
    if plain:
        return "\n".join(plain).strip()
    return "\n".join(html_to_text(h) for h in html).strip()


def _kind(att: Attachment) -> str:
    name = (att.filename or "").lower()
    ctype = att.content_type.lower()
    if ctype == "message/rfc822" or name.endswith(".eml"):
        return "message"
    if ctype == "application/pdf" or name.endswith(".pdf"):
        return "pdf"
    if "wordprocessingml" in ctype or name.endswith(".docx"):
        return "docx"
    if ctype.startswith("text/") or name.endswith((".txt", ".csv")):
        return "text"
    return "other"


def read_attachments(attachments: tuple[Attachment, ...]) -> AttachmentText:
    out = AttachmentText()
    for att in attachments:
        if att.filename:
            out.names.append(att.filename)
        kind = _kind(att)
        try:
            if kind == "message":
                out.messages.append(message_text(att.data))
            elif kind == "pdf":
                out.texts.append(pdf_text(att.data))
            elif kind == "docx":
                out.texts.append(docx_text(att.data))
            elif kind == "text":
                out.texts.append(att.data.decode("utf-8", "replace"))
        except Exception as exc:  # broken documents are common; the name still counts
            log.info("attachment %r unreadable, only its name is used: %s", att.filename, exc)
            out.errors.append(f"attachment {att.filename!r} unreadable: {type(exc).__name__}")
    out.texts = [t for t in out.texts if t.strip()]
    return out
