"""Issue 6: one address floods the mailbox; everybody else is still filed and answered in turn.

1,000 messages from one sender with 20 from other (acknowledgeable) senders interleaved go
through the real daemon (Maildir source, SQLite, aiosmtpd sink, spaCy off). The flooder gets at
most ``ack_rate_per_sender`` acknowledgments; every message is filed; every other sender is
acknowledged. Fairness is checked by order, not by timing: each other sender's ticket and ack
are made when its message comes up in arrival order, and its ack is sent before the flood's
last message is even fetched.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from store.models import Outbox, RawMessage, Ticket
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import mail, server_settings
from triage.daemon import Daemon
from triage.settings import Settings

FLOOD = 1000
OTHERS = 20
FLOODER = "spammy@police.example"


def _write_maildir(box: Path) -> list[str]:
    """Arrival order (by mtime) of senders: the flood, with another sender every 50 messages."""
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    order: list[str] = []
    every = FLOOD // OTHERS
    for i in range(FLOOD):
        order.append(FLOODER)
        if i % every == every // 2:
            order.append(f"officer{len(order)}@agency{len(order) % 7}.example")
    start = time.time() - 2 * len(order)
    for n, sender in enumerate(order):
        path = box / "new" / f"{n:05d}.flood"
        path.write_bytes(mail(sender=sender, subject=f"Preservation request {n}"))
        os.utime(path, (start + n, start + n))
    return order


@pytest.mark.slow
def test_flood_from_one_address(settings: Settings, engine: Engine, smtp_server: SmtpServer, tmp_path: Path) -> None:
    order = _write_maildir(tmp_path / "Maildir")
    others = [s for s in order if s != FLOODER]
    assert len(others) == OTHERS
    s = server_settings(settings, None, smtp_server, source=f"maildir:{tmp_path / 'Maildir'}", batch_size=50)
    assert Daemon(s, engine).run(once=True) == 0

    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(RawMessage)).one() == len(order)
        assert session.exec(select(func.count()).where(col(RawMessage.state) != "done")).one() == 0
        tickets = list(session.exec(select(Ticket).order_by(col(Ticket.id))))
        acks = list(session.exec(select(Outbox).where(Outbox.kind == "ack").order_by(col(Outbox.id))))
        last_fetch = session.exec(select(func.max(RawMessage.fetched_at))).one()
    # every message filed, in arrival order
    assert [t.sender_address for t in tickets] == order
    sent = [a for a in acks if a.status == "sent"]
    to_flooder = [a for a in sent if a.to_address == FLOODER]
    assert 1 <= len(to_flooder) <= s.ack_rate_per_sender
    assert sorted(a.to_address for a in sent if a.to_address != FLOODER) == sorted(others)
    suppressed = [a for a in acks if a.status == "suppressed"]
    assert len(suppressed) == FLOOD - len(to_flooder)
    assert all("rate" in (a.reason or "") for a in suppressed), {a.reason for a in suppressed}
    # fairness by order: an other sender's ack is queued with its own ticket, between flood tickets...
    position = {t.id: n for n, t in enumerate(tickets)}
    for ack in sent:
        if ack.to_address != FLOODER:
            assert order[position[ack.ticket_id]] == ack.to_address
    # ...and delivered between batches, before the flood has even been read to the end
    first_other, last_other = (next(a for a in sent if a.to_address == o) for o in (others[0], others[-1]))
    assert first_other.sent_at is not None and last_fetch is not None
    assert first_other.sent_at.replace(tzinfo=None) < last_fetch.replace(tzinfo=None)
    assert last_other.sent_at is not None
    received = sorted(to for m in smtp_server.messages for to in m.rcpt_tos)
    assert received == sorted(a.to_address for a in sent)
