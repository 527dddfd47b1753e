"""queue_ack composes a correct acknowledgment (checklist 3b); record_suppressed keeps the reason."""

from __future__ import annotations

import email
import email.policy
from dataclasses import fields
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.db import session_scope
from store.models import AuditEvent, Outbox, TicketMessage
from tests.triage.replies.conftest import new_ticket, parsed, raw
from triage.parse import parse_bytes
from triage.replies.compose import build_message
from triage.replies.msgid import is_our_message_id, new_message_id, reference_from_message_id
from triage.replies.outbox import add_outgoing, queue_ack, record_suppressed
from triage.settings import Settings


def test_ack_carries_every_header_of_3b(settings: Settings, engine: Engine) -> None:
    mail = parse_bytes(
        raw("followup.eml").replace(b"MIME-Version", b"References: <older@police.example>\r\nMIME-Version")
    )
    with session_scope(engine) as session:
        ticket = new_ticket(session)
        row = queue_ack(session, settings, mail, ticket, "de")
        reference = ticket.reference
    assert row.status == "queued" and row.kind == "ack" and row.raw
    msg = email.message_from_bytes(row.raw, policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Precedence"] == "bulk"
    assert msg["X-Loop"] == settings.from_address
    assert msg["In-Reply-To"] == "<req-4411-2@police.example>"
    assert msg["References"].split() == ["<older@police.example>", "<req-4411-2@police.example>"]
    assert msg["Subject"] == f"Re: Request for subscriber information [{reference}]"
    assert msg["Message-ID"] == row.message_id and is_our_message_id(settings, row.message_id or "")
    assert reference_from_message_id(settings, row.message_id or "") == reference
    assert msg["Content-Language"] == "de"
    assert msg["Date"] is not None
    assert settings.from_address in msg["From"]
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Aktenzeichen" in body and reference in body


def test_ack_goes_to_from_never_reply_to(settings: Settings, engine: Engine) -> None:
    forged = raw("human.eml").replace(b"MIME-Version", b"Reply-To: victim@elsewhere.example\r\nMIME-Version")
    with session_scope(engine) as session:
        row = queue_ack(session, settings, parse_bytes(forged), new_ticket(session), None)
    assert row.to_address == "a.keller@police.example"
    assert row.raw is not None and b"victim@elsewhere.example" not in row.raw


def test_ack_never_echoes_content(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        row = queue_ack(session, settings, parsed("human.eml"), new_ticket(session), "en")
    assert row.raw is not None
    text = email.message_from_bytes(row.raw, policy=email.policy.default).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for secret in ("example_handle", "100j", "2026/4411", "Keller", "investigation"):
        assert secret not in text
    assert b"example_handle" not in row.raw


def test_ack_is_recorded_on_the_ticket(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        ticket = new_ticket(session)
        row = queue_ack(session, settings, parsed("human.eml"), ticket, "fr")
    with Session(engine) as session:
        [out] = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).all()
        assert out.direction == "outbound" and out.outbox_id == row.id
        assert out.message_id == row.message_id and out.in_reply_to == "<req-4411@police.example>"
        assert "a bien reçu" in out.body_text
        assert [e.action for e in session.exec(select(AuditEvent)).all()] == ["ack_queued"]


def test_record_suppressed(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        ticket = new_ticket(session)
        record_suppressed(session, ticket, "auto-submitted: auto-replied")
    with Session(engine) as session:
        [row] = session.exec(select(Outbox)).all()
        assert (row.status, row.kind, row.reason, row.ticket_id) == (
            "suppressed", "ack", "auto-submitted: auto-replied", ticket.id
        )
        assert row.raw is None
        [event] = session.exec(select(AuditEvent)).all()
        assert event.action == "ack_suppressed" and event.detail["reason"] == "auto-submitted: auto-replied"


def test_the_returned_rows_are_the_stored_rows(settings: Settings, engine: Engine) -> None:
    """queue_ack and record_suppressed return what they wrote: every column as an ``Outbox`` model has it."""
    with session_scope(engine) as session:
        queued = queue_ack(session, settings, parsed("human.eml"), new_ticket(session), "en")
        suppressed = record_suppressed(session, new_ticket(session), "sender not verified")
    with Session(engine) as session:
        for written in (queued, suppressed):
            stored = session.get(Outbox, written.id)
            assert stored is not None
            assert {f.name: getattr(written, f.name) for f in fields(written)} == {
                f.name: getattr(stored, f.name) for f in fields(written)
            }
            assert (stored.attempts, stored.last_error, stored.smtp_response, stored.sent_at, stored.claimed_by,
                    stored.claimed_until) == (0, None, None, None, None, None)
    assert (queued.status, queued.from_address, suppressed.status, suppressed.subject) == (
        "queued", settings.from_address, "suppressed", "")


def test_add_outgoing_gives_a_session_object_whose_changes_are_saved(settings: Settings, engine: Engine) -> None:
    """The web reply path changes the row it queued in the same transaction (an Outbox in the session)."""
    mail = parsed("human.eml")
    with session_scope(engine) as session:
        ticket = new_ticket(session)
        msg = build_message(settings, to=mail.from_address, subject="Re: x", body="Hello\n",
                            message_id=new_message_id(settings, ticket.reference), auto_submitted="no")
        row = add_outgoing(session, settings, ticket, msg, kind="reply")
        assert isinstance(row, Outbox) and row in session and row.id is not None
        row.next_attempt_at = row.next_attempt_at + timedelta(hours=1)
        due = row.next_attempt_at
    with Session(engine) as session:
        stored = session.get(Outbox, row.id)
        assert stored is not None and stored.next_attempt_at == due and stored.kind == "reply"
        [entry] = session.exec(select(TicketMessage).where(TicketMessage.outbox_id == row.id)).all()
        assert entry.direction == "outbound" and entry.message_id == row.message_id
