"""related_tickets on SQLite and PostgreSQL: same sender, same phone number, same target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from store.db import make_engine, session_scope
from store.models import Ticket
from store.related import is_phone, related_tickets
from store.tickets import create_ticket

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def scenario(engine: Engine) -> dict[str, int]:
    """A ticket under review and neighbours that do or do not share something with it."""
    rows = {
        "me": ("boss@police.example", ["@target_user", "+441234567890", "a_b%c"], T0),
        "same_sender": ("boss@police.example", [], T0 - timedelta(days=10)),
        "same_phone": ("other@force.example", ["+441234567890"], T0 - timedelta(days=3)),
        "same_target_later": ("x@gmail.example", ["@target_user", "@else"], T0 + timedelta(days=5)),
        "same_odd_target": ("y@z.example", ["a_b%c"], T0 - timedelta(days=1)),
        "like_but_not_same": ("y@z.example", ["@target_user2", "axb%c", "+4412345678901"], T0),
        "too_old": ("boss@police.example", ["@target_user"], T0 - timedelta(days=91)),
        "unrelated": ("q@r.example", ["@someone"], T0),
    }
    ids: dict[str, int] = {}
    with session_scope(engine) as s:
        for name, (sender, targets, at) in rows.items():
            t = create_ticket(s, received_at=at, sender_address=sender, targets=targets, subject=name)
            assert t.id is not None
            ids[name] = t.id
    return ids


def check(engine: Engine) -> None:
    ids = scenario(engine)
    with session_scope(engine) as s:
        me = s.get(Ticket, ids["me"])
        assert me is not None
        found = {r.ticket.subject: r.reasons for r in related_tickets(s, me)}
        assert found == {
            "same_sender": ["same sender address boss@police.example"],
            "same_phone": ["same phone number +441234567890"],
            "same_target_later": ["same target @target_user"],
            "same_odd_target": ["same target a_b%c"],
        }
        order = [r.ticket.subject for r in related_tickets(s, me)]
        assert order == ["same_target_later", "same_odd_target", "same_phone", "same_sender"]
        assert [r.ticket.subject for r in related_tickets(s, me, days=4)] == ["same_odd_target", "same_phone"]
        assert len(related_tickets(s, me, limit=2)) == 2
        lonely = s.get(Ticket, ids["unrelated"])
        assert lonely is not None and related_tickets(s, lonely) == []


def test_related_sqlite(engine: Engine) -> None:
    check(engine)


@pytest.mark.postgres
def test_related_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        check(engine)
    finally:
        engine.dispose()


def test_ticket_without_sender_or_targets_has_no_related(engine: Engine) -> None:
    with session_scope(engine) as s:
        t = create_ticket(s, received_at=T0)
        create_ticket(s, received_at=T0)
        assert related_tickets(s, t) == []


def test_is_phone() -> None:
    assert is_phone("+441234567890")
    assert not is_phone("@name") and not is_phone("+12") and not is_phone("441234567890")
