"""Step: which existing ticket a message belongs to, if any.

In order: a Message-ID in In-Reply-To/References that we already hold (their mail or our
acknowledgment), a reference encoded in one of our own signed Message-IDs, the original
Message-IDs embedded in a bounce, a ticket reference written in the subject (then, for
human mail, the body), and finally the same Message-ID re-sent.
"""

from __future__ import annotations

from sqlmodel import Session

from store.messages import ticket_id_for_message_ids
from store.models import Ticket
from store.tickets import find_by_reference, references_in
from triage.parse import ParsedMail
from triage.replies import msgid as reply_ids
from triage.replies import rules
from triage.settings import Settings

BODY_SCAN_CHARS = 20_000


def _by_ids(session: Session, settings: Settings, ids: list[str]) -> Ticket | None:
    tid = ticket_id_for_message_ids(session, ids)
    if tid is not None:
        return session.get(Ticket, tid)
    for mid in reversed(ids):
        ref = reply_ids.reference_from_message_id(settings, mid)
        if ref:
            ticket = find_by_reference(session, ref)
            if ticket is not None:
                return ticket
    return None


def _by_reference_text(session: Session, text: str) -> Ticket | None:
    for ref in references_in(text):
        ticket = find_by_reference(session, ref)
        if ticket is not None:
            return ticket
    return None


def find_thread(
    session: Session, settings: Settings, parsed: ParsedMail, raw: bytes, mail_class: str
) -> tuple[Ticket | None, str]:
    """The ticket this message continues and how it was found, or (None, "")."""
    ticket = _by_ids(session, settings, [*parsed.references, *parsed.in_reply_to])
    if ticket is not None:
        return ticket, "in-reply-to/references"
    if mail_class == "bounce":
        ticket = _by_ids(session, settings, rules.bounce_original_ids(raw))
        if ticket is not None:
            return ticket, "bounced original"
    ticket = _by_reference_text(session, parsed.subject)
    if ticket is not None:
        return ticket, "reference in subject"
    if mail_class == "human":
        ticket = _by_reference_text(session, (parsed.text or "")[:BODY_SCAN_CHARS])
        if ticket is not None:
            return ticket, "reference in body"
    if parsed.message_id:
        tid = ticket_id_for_message_ids(session, [parsed.message_id])
        if tid is not None:
            return session.get(Ticket, tid), "same message-id"
    return None, ""
