"""Filing several read messages in one transaction (``finish_many``), and its fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.audit import verify_chain
from store.db import session_scope
from store.models import AuditEvent, Outbox, RawMessage, Ticket, TicketMessage
from tests.triage.daemon_helpers import mail
from triage.mailbox.base import Fetched
from triage.pipeline import PipelineContext, process
from triage.pipeline import ack as ack_step
from triage.pipeline.archive import archive_fetched
from triage.pipeline.process import Filing, finish_many
from triage.pipeline.reading import Arrival, prepare
from triage.settings import Settings

RECEIVED = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)


def _ctx(settings: Settings, engine: Engine) -> PipelineContext:
    return PipelineContext.build(settings.model_copy(update={"use_spacy": False, "ack_unverified": True}), engine)


def _read(ctx: PipelineContext, raws: list[bytes]) -> list[Filing]:
    """Archive and read each message as the daemon does before filing (no extraction: not needed here)."""
    items: list[Filing] = []
    for uid, raw in enumerate(raws, start=1):
        row = archive_fetched(ctx, Fetched(raw=raw, folder="INBOX", uid=uid, uidvalidity=7, internaldate=RECEIVED))
        items.append((row, raw, prepare(ctx, Arrival.of(row), raw), None))
    return items


def _commits(engine: Engine) -> list[int]:
    seen: list[int] = []
    event.listen(engine, "commit", lambda conn: seen.append(1))
    return seen


def test_a_request_and_its_follow_up_are_filed_in_one_transaction(settings: Settings, engine: Engine) -> None:
    ctx = _ctx(settings, engine)
    first = mail(subject="Preservation request - case 77/2026", msgid="<first@police.example>")
    follow = mail(subject="Re: Preservation request - case 77/2026", msgid="<second@police.example>",
                  headers={"In-Reply-To": "<first@police.example>"})
    other = mail(subject="Data disclosure request - case 78/2026", sender="k.lee@police.example")
    items = _read(ctx, [first, follow, other])
    commits = _commits(engine)
    outcomes = finish_many(ctx, items)
    assert len(commits) == 1
    assert [o.new_ticket for o in outcomes] == [True, False, True]
    assert outcomes[1].reference == outcomes[0].reference  # threaded onto the ticket made earlier in the batch
    with Session(engine) as s:
        assert len(s.exec(select(Ticket)).all()) == 2
        inbound = s.exec(select(TicketMessage).where(TicketMessage.direction == "inbound")).all()
        assert len(inbound) == 3
        assert {r.state for r in s.exec(select(RawMessage)).all()} == {"filed"}
        assert verify_chain(s) == []


def test_one_failing_message_rolls_the_batch_back_and_each_is_filed_alone(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _ctx(settings, engine)
    items = _read(ctx, [mail(subject="Request one - case 1/2026"), mail(subject="Request two - case 2/2026"),
                        mail(subject="Request three - case 3/2026")])
    real = process.file_step

    def breaks_on_two(session: Session, ctx: PipelineContext, row: RawMessage, raw: bytes, parsed: Any,
                      *args: Any) -> Any:
        if "two" in parsed.subject:
            raise RuntimeError("a step broke")
        return real(session, ctx, row, raw, parsed, *args)

    monkeypatch.setattr(process, "file_step", breaks_on_two)
    outcomes = finish_many(ctx, items)
    assert [o.new_ticket for o in outcomes] == [True, True, True]
    assert [o.mail_class for o in outcomes] == ["human", "unparsed", "human"]
    with Session(engine) as s:
        tickets = s.exec(select(Ticket).order_by(col(Ticket.id))).all()
        assert len(tickets) == 3  # nothing filed twice by the rolled-back attempt
        broken = next(t for t in tickets if "two" in t.subject)
        assert broken.needs_review and "a step broke" in (broken.review_reason or "")
        assert len(s.exec(select(Outbox).where(Outbox.kind == "ack")).all()) == 2  # no ack for the broken one
        assert {r.state for r in s.exec(select(RawMessage)).all()} == {"filed"}
        assert verify_chain(s) == []


def test_a_message_filed_meanwhile_elsewhere_is_not_filed_twice_in_a_batch(
    settings: Settings, engine: Engine
) -> None:
    ctx = _ctx(settings, engine)
    items = _read(ctx, [mail(subject="Request one - case 1/2026"), mail(subject="Request two - case 2/2026")])
    with session_scope(engine) as session:  # another run files the second one first (its own ticket)
        other = Ticket(reference="LE-2026-999999", received_at=RECEIVED, mailbox="default", mail_class="human",
                       subject="filed elsewhere")
        session.add(other)
        session.flush()
        fresh = session.get(RawMessage, items[1][0].id)
        assert fresh is not None
        fresh.state, fresh.ticket_id, fresh.mail_class = "filed", other.id, "human"
    outcomes = finish_many(ctx, items)
    assert outcomes[0].new_ticket and outcomes[1].decision == "already filed"
    assert outcomes[1].reference == "LE-2026-999999"
    with Session(engine) as s:
        assert len(s.exec(select(Ticket)).all()) == 2


def _inserts(engine: Engine, table: str) -> list[int]:
    """How many statements insert into ``table`` (an executemany of several rows is one)."""
    seen: list[int] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: seen.extend([1] if statement.startswith(f"INSERT INTO {table} ")
                                                                    else []))
    return seen


def _order(engine: Engine) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per ticket: its thread entries' directions and its audit actions, in id order."""
    with Session(engine) as s:
        thread: dict[int, list[str]] = {}
        for m in s.exec(select(TicketMessage).order_by(col(TicketMessage.id))).all():
            thread.setdefault(m.ticket_id, []).append(m.direction)
        actions: dict[int, list[str]] = {}
        for e in s.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all():
            actions.setdefault(e.ticket_id or 0, []).append(e.action)
        assert verify_chain(s) == []
    return thread, actions


def test_the_filing_writes_its_thread_entry_and_audit_event_with_the_acknowledgments(
    settings: Settings, engine: Engine
) -> None:
    """One INSERT into ticket_message per message (inbound and outbound rows together), the rows and
    events in the order they had when each was written on its own."""
    ctx = _ctx(settings, engine)
    items = _read(ctx, [mail(subject="Request one - case 1/2026"),
                        mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}),
                        mail(subject="Request three - case 3/2026", sender="k.lee@police.example")])
    thread_inserts = _inserts(engine, "ticket_message")
    outcomes = finish_many(ctx, items)
    assert [o.decision.split(" ")[0] for o in outcomes] == ["ack", "no", "ack"]
    assert len(thread_inserts) == 3
    thread, actions = _order(engine)
    assert list(thread.values()) == [["inbound", "outbound"], ["inbound"], ["inbound", "outbound"]]
    assert list(actions.values()) == [["ticket_created", "ack_queued"], ["ticket_created", "ack_suppressed"],
                                      ["ticket_created", "ack_queued"]]


def test_a_pointer_comes_after_the_filings_own_rows(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pointer is written by another module: the filing's rows are written first, alone."""
    monkeypatch.setattr(ack_step, "pointer_kind", lambda *args, **kwargs: "press")
    ctx = PipelineContext.build(settings.model_copy(update={
        "use_spacy": False, "ack_unverified": True, "press_address": "press@platform.example"}), engine)
    finish_many(ctx, _read(ctx, [mail(subject="A question from a journalist"), mail(subject="Another question")]))
    thread, actions = _order(engine)
    assert list(thread.values()) == [["inbound", "outbound"]] * 2
    assert list(actions.values()) == [["ticket_created", "pointer_queued"]] * 2
