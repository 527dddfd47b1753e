"""Ticket references stay unique when many transactions allocate at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from store.checkpoints import advance, sync_uidvalidity
from store.db import make_engine, session_scope
from store.messages import add_raw
from store.models import Outbox
from store.tickets import (
    ack_summary,
    allocate_reference,
    create_ticket,
    fields_of,
    find_by_message_id,
    find_by_reference,
    references_in,
    set_fields,
)

WHEN = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _allocate_concurrently(engine: Engine, workers: int = 8, each: int = 15) -> list[str]:
    refs: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        for _ in range(each):
            for _attempt in range(50):
                try:
                    with session_scope(engine) as session:
                        ref = create_ticket(session, received_at=WHEN, subject="x").reference
                    break
                except OperationalError:  # SQLite "database is locked": retry
                    continue
            else:
                errors.append(RuntimeError("could not allocate"))
                return
            with lock:
                refs.append(ref)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    return refs


def _check_unique(refs: list[str], n: int) -> None:
    assert len(refs) == n
    assert len(set(refs)) == n
    assert all(re.fullmatch(r"LE-2026-\d{6}", r) for r in refs)
    assert sorted(int(r[-6:]) for r in refs) == list(range(1, n + 1))


def test_references_unique_under_concurrency_sqlite(engine: Engine) -> None:
    _check_unique(_allocate_concurrently(engine), 8 * 15)


@pytest.mark.postgres
def test_references_unique_under_concurrency_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        _check_unique(_allocate_concurrently(engine), 8 * 15)
    finally:
        engine.dispose()


def test_years_are_numbered_separately(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert allocate_reference(session, 2026) == "LE-2026-000001"
        assert allocate_reference(session, 2027) == "LE-2027-000001"
        assert allocate_reference(session, 2026) == "LE-2026-000002"


def test_lookup_by_reference_and_message_id(engine: Engine) -> None:
    with session_scope(engine) as session:
        t = create_ticket(session, received_at=WHEN, subject="s")
        session.add(Outbox(ticket_id=t.id, message_id="<ack1@platform.example>", status="queued"))
        ref = t.reference
    with session_scope(engine) as session:
        assert find_by_reference(session, ref.lower()) is not None
        found = find_by_message_id(session, "<ack1@platform.example>")
        assert found is not None and found.reference == ref
        assert find_by_message_id(session, "<nope@x>") is None
    assert references_in(f"Re: hello [{ref}] and LE-2026-1") == [ref]


def test_ack_summary_prefers_real_ack_over_suppressed() -> None:
    rows = [
        Outbox(kind="ack", status="sent", message_id="<a@x>"),
        Outbox(kind="ack", status="suppressed", reason="follow-up"),
    ]
    assert ack_summary(rows)["status"] == "sent"  # type: ignore[index]
    only = ack_summary([Outbox(kind="ack", status="suppressed", reason="auto-submitted: auto-replied")])
    assert only == {"status": "suppressed", "reason": "auto-submitted: auto-replied", "message_id": None,
                    "sent_at": None}
    assert ack_summary([]) is None


def test_raw_dedupe_and_checkpoints(engine: Engine) -> None:
    with session_scope(engine) as session:
        row, created = add_raw(session, sha="a" * 64, size=3, mailbox="m", folder="INBOX", uid=7, uidvalidity=1,
                               internaldate=WHEN, received_header_at=None, message_id="<x@y>")
        assert created
        again, created2 = add_raw(session, sha="a" * 64, size=3, mailbox="m", folder="INBOX", uid=1, uidvalidity=2,
                                  internaldate=WHEN, received_header_at=None, message_id="<x@y>")
        assert not created2 and again.id == row.id and again.uidvalidity == 2
    with session_scope(engine) as session:
        assert sync_uidvalidity(session, "m", "INBOX", 100) == (0, False)
        advance(session, "m", "INBOX", 42)
        advance(session, "m", "INBOX", 40)
        assert sync_uidvalidity(session, "m", "INBOX", 100) == (42, False)
        assert sync_uidvalidity(session, "m", "INBOX", 101) == (0, True)


def test_fields_of_a_new_ticket_in_one_insert_and_updates_later(engine: Engine) -> None:
    with session_scope(engine) as session:
        ticket = create_ticket(session, received_at=WHEN, mailbox="m", subject="s")
        assert ticket.id is not None
        ev = [{"field": "agency", "text": "Polizei"}]
        set_fields(session, ticket.id, {"agency": ("Polizei", 0.9, ev), "deadline": (None, None, [])},
                   new_ticket=True)
        got = fields_of(session, ticket.id)
        assert sorted(got) == ["agency", "deadline"]
        assert got["agency"].machine_value == "Polizei" and got["agency"].evidence == ev
        assert got["deadline"].machine_value is None and not got["agency"].corrected
        set_fields(session, ticket.id, {"agency": ("BKA", 0.5, [])})  # a follow-up updates in place
    with session_scope(engine) as session:
        again = fields_of(session, ticket.id)
        assert again["agency"].machine_value == "BKA" and again["agency"].confidence == 0.5
        assert len(again) == 2


def test_an_inserted_ticket_is_a_loaded_row_whose_changes_are_written(engine: Engine) -> None:
    from store.models import Ticket
    from store.tickets import insert_ticket

    with session_scope(engine) as session:
        ticket = Ticket(reference="", received_at=WHEN, subject="filled first", targets=["@a"], emergency=True)
        insert_ticket(session, ticket)
        assert ticket.id is not None and ticket.reference.startswith("LE-2026-") and ticket in session
        assert not session.dirty and not session.new  # inserted, nothing left for a flush
        ticket.status = "in_review"
        ticket.targets = ["@a", "@b"]
    with session_scope(engine) as session:
        again = session.get(Ticket, ticket.id)
        assert again is not None and again.status == "in_review" and again.targets == ["@a", "@b"]
        assert again.emergency and again.subject == "filled first" and again.reference == ticket.reference


def test_a_draft_has_the_model_defaults_and_inserts_as_the_same_row(engine: Engine) -> None:
    from sqlalchemy.orm.attributes import instance_state

    from store.models import Ticket
    from store.tickets import TicketDraft, insert_draft

    built = Ticket(reference="", received_at=WHEN)
    draft = TicketDraft(received_at=WHEN)
    volatile = {"id", "reference", "created_at", "updated_at"}  # the id and reference come with the INSERT
    columns = [c.key for c in Ticket.__table__.columns]  # type: ignore[attr-defined]
    assert {k: getattr(draft, k) for k in columns if k not in volatile} == {
        k: getattr(built, k) for k in columns if k not in volatile}
    assert draft.signals is not TicketDraft(received_at=WHEN).signals  # a fresh list per draft, as the model's
    draft.subject, draft.targets, draft.emergency = "drafted", ["@a"], True
    with session_scope(engine) as session:
        ticket = insert_draft(session, draft)
        assert isinstance(ticket, Ticket) and ticket in session and ticket.id is not None
        assert ticket.reference.startswith("LE-2026-") and ticket.targets == ["@a"] and ticket.emergency
        assert instance_state(ticket).persistent and not session.dirty and not session.new  # nothing left to flush
        ticket.status = "in_review"  # a change after the INSERT is an UPDATE, as on a loaded row
    with session_scope(engine) as session:
        again = session.get(Ticket, ticket.id)
        assert again is not None and again.status == "in_review" and again.subject == "drafted"
        assert again.targets == ["@a"] and again.emergency and again.reference == ticket.reference
