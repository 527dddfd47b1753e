"""Queue order and filters at the store level, independent of the web layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.db import make_engine
from store.models import Outbox, Ticket, TicketMessage, utcnow
from store.queries import QueueFilter, queue


def _add(session: Session, ref: str, **values: object) -> Ticket:
    t = Ticket(reference=ref, **values)  # type: ignore[arg-type]
    session.add(t)
    session.flush()
    return t


def check(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as s:
        _add(s, "A-old-no-deadline", received_at=now - timedelta(days=9))
        _add(s, "B-due-soon", received_at=now - timedelta(days=1), due_at=now + timedelta(hours=5))
        _add(s, "C-emergency", received_at=now - timedelta(hours=1), emergency=True)
        _add(s, "D-statutory", received_at=now, statutory_deadline=now + timedelta(minutes=40),
             due_at=now + timedelta(minutes=40))  # fmt: skip
        _add(s, "E-overdue", received_at=now - timedelta(days=3), due_at=now - timedelta(days=1), country="FR")
        _add(s, "F-closed-emergency", emergency=True, status="closed")
        g = _add(s, "G-new-no-deadline", received_at=now - timedelta(days=2), country="FR", assignee_id=None)
        s.add(TicketMessage(ticket_id=g.id or 0, direction="inbound", body_text="the word zanzibar_100% appears"))
        s.add(Outbox(ticket_id=g.id, kind="ack", status="failed"))
        s.commit()
        refs = [t.reference for t in queue(s, QueueFilter()).items]
        assert refs == ["D-statutory", "C-emergency", "E-overdue", "B-due-soon", "A-old-no-deadline",
                        "G-new-no-deadline"]  # fmt: skip
        assert [t.reference for t in queue(s, QueueFilter(status="closed")).items] == ["F-closed-emergency"]
        assert len(queue(s, QueueFilter(status="all")).items) == 7
        assert [t.reference for t in queue(s, QueueFilter(country="fr")).items] == ["E-overdue", "G-new-no-deadline"]
        found = queue(s, QueueFilter(q="ZANZIBAR_100%"))
        assert [t.reference for t in found.items] == ["G-new-no-deadline"] and found.ack_failed == {g.id}
        assert queue(s, QueueFilter(q="zanzibarx100")).total == 0, "LIKE wildcards in the query are literal"
        page2 = queue(s, QueueFilter(), page=2, page_size=4)
        assert (page2.total, page2.pages, [t.reference for t in page2.items]) == (
            6, 2, ["A-old-no-deadline", "G-new-no-deadline"])  # fmt: skip
        assert queue(s, QueueFilter(), page=99, page_size=4).page == 2


def test_urgency_order_and_filters(engine: Engine) -> None:
    check(engine)


@pytest.mark.postgres
def test_urgency_order_and_filters_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        check(engine)
    finally:
        engine.dispose()
