"""Filing through the real pipeline (no servers): due date, parse limits, blocklist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store import blocklist
from store.db import session_scope
from store.models import Outbox, RawMessage, Ticket
from tests.triage.daemon_helpers import mail
from triage.mailbox.base import Fetched
from triage.pipeline import PipelineContext, run_item
from triage.pipeline.reprocess import reprocess_ticket
from triage.settings import Settings

RECEIVED = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)  # recent: old mail is not acknowledged
TCO_BODY = (
    "Dear Sir or Madam,\n\nThis is a removal order under Regulation (EU) 2021/784 (terrorist content online).\n"
    "Please remove the content at https://platform.example/p/88812 within one hour of receipt.\n\n"
    "Kind regards,\nInspector A. Berg\nBundeskriminalamt\n"
)


def _file(settings: Settings, engine: Engine, raw: bytes, uid: int = 1) -> Ticket:
    ctx = PipelineContext.build(settings, engine)
    outcome = run_item(ctx, Fetched(raw=raw, folder="INBOX", uid=uid, uidvalidity=7, internaldate=RECEIVED))
    assert outcome is not None
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.reference == outcome.reference)).one()
    return ticket


def _settings(settings: Settings, **over: object) -> Settings:
    return settings.model_copy(update={"use_spacy": False, "ack_unverified": True, **over})


def test_tco_removal_order_is_due_one_hour_after_receipt(settings: Settings, engine: Engine) -> None:
    raw = mail(subject="Removal order - TCO 2026/17", sender="a.berg@bka.example", body=TCO_BODY)
    ticket = _file(_settings(settings), engine, raw)
    assert ticket.request_type == "content_removal"
    assert ticket.due_at is not None and ticket.statutory_deadline is not None
    assert ticket.due_at.replace(tzinfo=UTC) == RECEIVED + timedelta(hours=1)


def test_request_without_deadline_has_no_due_date(settings: Settings, engine: Engine) -> None:
    ticket = _file(_settings(settings), engine, mail(body="Please tell us whether you hold data.\n"))
    assert ticket.due_at is None


def _many_parts(count: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Officer <j.doe@police.example>"
    msg["To"] = "lawenforcement@platform.example"
    msg["Subject"] = "Data disclosure request - case 2026/9"
    msg["Message-ID"] = "<parts@police.example>"
    msg.set_content("We request subscriber information for @someone.\n")
    for i in range(count):
        msg.add_attachment(f"part {i}\n".encode(), maintype="text", subtype="plain", filename=f"p{i}.txt")
    return msg.as_bytes()


def test_over_the_mime_part_limit_is_flagged_and_kept(settings: Settings, engine: Engine) -> None:
    s = _settings(settings, max_mime_parts=5)
    raw = _many_parts(12)
    ticket = _file(s, engine, raw)
    assert ticket.needs_review
    assert "MIME parts" in (ticket.review_reason or "") or "parts" in (ticket.review_reason or "")
    assert "limit: " in (ticket.review_reason or "")
    with Session(engine) as session:
        row = session.exec(select(RawMessage)).one()
    assert PipelineContext.build(s, engine).archive.get(row.sha256) == raw


def test_within_the_limits_is_not_flagged(settings: Settings, engine: Engine) -> None:
    ticket = _file(_settings(settings, max_mime_parts=50), engine, _many_parts(3))
    assert "limit: " not in (ticket.review_reason or "")


def test_blocked_sender_is_filed_flagged_and_never_acknowledged(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        blocklist.add(session, "@Police-Lookalike.example", reason="look-alike of police.example")
    s = _settings(settings)
    ticket = _file(s, engine, mail(sender="chief@Mail.POLICE-lookalike.example"))
    assert ticket.needs_review
    assert "police-lookalike.example is on the blocklist: look-alike" in (ticket.review_reason or "")
    assert any(sig["code"] == "blocked_sender" and sig["severity"] == "high" for sig in ticket.signals)
    with Session(engine) as session:
        [row] = session.exec(select(Outbox)).all()
    assert row.status == "suppressed" and (row.reason or "").startswith("sender blocked")
    other = _file(s, engine, mail(sender="j.doe@police.example"), uid=2)
    assert not any(sig["code"] == "blocked_sender" for sig in other.signals)
    with Session(engine) as session:
        queued = session.exec(select(Outbox).where(Outbox.status == "queued")).all()
    assert [r.to_address for r in queued] == ["j.doe@police.example"]


def test_reprocess_recomputes_due_at(settings: Settings, engine: Engine) -> None:
    s = _settings(settings)
    raw = mail(subject="Removal order - TCO 2026/18", sender="a.berg@bka.example", body=TCO_BODY)
    ticket = _file(s, engine, raw)
    with session_scope(engine) as session:
        fresh = session.get(Ticket, ticket.id)
        assert fresh is not None
        fresh.due_at = None
        session.add(fresh)
    assert reprocess_ticket(s, engine, ticket.reference) == 1
    with Session(engine) as session:
        again = session.get(Ticket, ticket.id)
    assert again is not None and again.due_at is not None
    assert again.due_at.replace(tzinfo=UTC) == RECEIVED + timedelta(hours=1)


def test_a_message_filed_meanwhile_by_another_run_is_rolled_back_not_filed_twice(
    settings: Settings, engine: Engine
) -> None:
    from triage.pipeline.archive import archive_fetched
    from triage.pipeline.process import finish
    from triage.pipeline.reading import Arrival, prepare

    s = _settings(settings)
    first = _file(s, engine, mail(subject="Filed by the first run", msgid="<race-1@police.example>"))
    ctx = PipelineContext.build(s, engine)
    row = archive_fetched(ctx, Fetched(raw=mail(subject="Racing", msgid="<race-2@police.example>"),
                                       folder="INBOX", uid=2, uidvalidity=7, internaldate=RECEIVED))
    prep = prepare(ctx, Arrival.of(row), ctx.archive.get(row.sha256))
    with session_scope(engine) as session:  # another run files it first (onto the first ticket, for the test)
        fresh = session.get(RawMessage, row.id)
        assert fresh is not None
        fresh.state, fresh.ticket_id, fresh.mail_class = "filed", first.id, "human"
    outcome = finish(ctx, row, ctx.archive.get(row.sha256), prep, None)
    assert (outcome.decision, outcome.reference, outcome.new_ticket) == ("already filed", first.reference, False)
    with Session(engine) as session:
        assert len(session.exec(select(Ticket)).all()) == 1
        assert len(session.exec(select(Outbox)).all()) == 1  # the first ticket's ack only
