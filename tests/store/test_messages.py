"""Archive rows in batches (one lookup, one INSERT) and thread lookups by Message-ID."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from store import messages
from store.db import session_scope
from store.messages import RawFields, add_raw, add_raws, ticket_id_for_message_ids
from store.models import Outbox, RawMessage, TicketMessage
from store.tickets import create_ticket

WHEN = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _fields(sha: str, uid: int) -> RawFields:
    return RawFields(sha=sha * 64, size=3, mailbox="m", folder="INBOX", uid=uid, uidvalidity=1, internaldate=WHEN,
                     received_header_at=None, message_id=f"<{uid}@x>")


def _statements(engine: Engine) -> Counter[str]:
    kinds: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        kinds[statement.split(None, 1)[0].upper()] += 1

    return kinds


def test_a_batch_is_one_lookup_and_one_insert_and_keeps_its_order(engine: Engine) -> None:
    with session_scope(engine) as session:
        old, _ = add_raw(session, sha="a" * 64, size=3, mailbox="m", folder="Old", uid=1, uidvalidity=1,
                         internaldate=WHEN, received_header_at=None, message_id="<1@x>")
    kinds = _statements(engine)
    with session_scope(engine) as session:
        added = add_raws(session, [_fields("b", 5), _fields("a", 6), _fields("c", 7), _fields("b", 8)])
    assert [(r.sha256[0], created) for r, created in added] == [("b", True), ("a", False), ("c", True), ("b", False)]
    assert added[1][0].id == old.id and added[1][0].uid == 6 and added[1][0].folder == "INBOX"
    assert added[0][0] is added[3][0] and added[0][0].uid == 8  # twice in the batch: the later location wins
    assert kinds["INSERT"] == 1 and kinds["SELECT"] == 2  # known rows; the new rows read back
    with session_scope(engine) as session:
        rows = {r.sha256[0]: r for r in session.exec(select(RawMessage))}
    assert sorted(rows) == ["a", "b", "c"] and rows["b"].uid == 8 and rows["a"].uid == 6
    assert rows["c"].id == added[2][0].id and rows["c"].state == "archived" and rows["c"].message_id == "<7@x>"


def test_bytes_archived_meanwhile_by_another_worker_fall_back_to_one_by_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as session:  # the other worker's row, which our lookup does not see
        add_raw(session, sha="a" * 64, size=3, mailbox="m", folder="INBOX", uid=1, uidvalidity=1,
                internaldate=WHEN, received_header_at=None, message_id="<1@x>")
    monkeypatch.setattr(messages, "_rows_by_sha", lambda session, shas: {})
    with session_scope(engine) as session:
        added = add_raws(session, [_fields("b", 2), _fields("a", 3)])
    assert [(r.sha256[0], created) for r, created in added] == [("b", True), ("a", False)]
    with session_scope(engine) as session:
        assert len(session.exec(select(RawMessage)).all()) == 2


def test_thread_lookup_prefers_the_nearest_parent_and_the_thread_entry(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = create_ticket(session, received_at=WHEN, mailbox="m", subject="one")
        second = create_ticket(session, received_at=WHEN, mailbox="m", subject="two")
        assert first.id is not None and second.id is not None
        session.add(Outbox(ticket_id=second.id, message_id="<shared@x>"))
        session.add(TicketMessage(ticket_id=first.id, direction="inbound", message_id="<shared@x>"))
        session.add(TicketMessage(ticket_id=second.id, direction="inbound", message_id="<later@x>"))
        session.add(Outbox(ticket_id=first.id, message_id="<ack@x>"))
        session.add(Outbox(ticket_id=None, message_id="<orphan@x>"))
    with session_scope(engine) as session:
        assert ticket_id_for_message_ids(session, ["<shared@x>"]) == first.id  # a thread entry beats our mail
        assert ticket_id_for_message_ids(session, ["<ack@x>", "<later@x>"]) == second.id  # last is nearest
        assert ticket_id_for_message_ids(session, ["<later@x>", "<ack@x>", "<unknown@x>", ""]) == first.id
        assert ticket_id_for_message_ids(session, ["<orphan@x>"]) is None
        assert ticket_id_for_message_ids(session, ["", "<unknown@x>"]) is None
        assert ticket_id_for_message_ids(session, []) is None
