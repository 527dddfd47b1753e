"""OutboxSender against a real SMTP server: delivery, retries with backoff, failure, file mode."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.db import make_engine, session_scope
from store.models import AuditEvent, Outbox, Ticket, utcnow
from tests.servers.smtp import SmtpServer
from tests.triage.replies.conftest import new_ticket, parsed
from triage.replies import sender as sender_module
from triage.replies.outbox import queue_ack
from triage.replies.sender import OutboxSender, backoff_seconds
from triage.replies.transport import Attempt
from triage.settings import Settings


def _smtp(settings: Settings, server: SmtpServer, **over: Any) -> Settings:
    update: dict[str, Any] = {
        "smtp_host": server.host, "smtp_port": server.port, "smtp_tls": "none", "smtp_timeout": 5.0,
        "outbox_backoff_seconds": 0.2, "outbox_backoff_max_seconds": 0.4,
    }
    return settings.model_copy(update=update | over)


def _queue(engine: Engine, settings: Settings, n: int = 1) -> list[int]:
    ids = []
    with session_scope(engine) as session:
        for _ in range(n):
            row = queue_ack(session, settings, parsed("human.eml"), new_ticket(session), "en")
            assert row.id is not None
            ids.append(row.id)
    return ids


def _rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())


def test_delivers_and_records_the_server_reply(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server)
    _queue(engine, s)
    assert OutboxSender(s, engine).deliver_due() == 1
    [got] = smtp_server.wait_for(1)
    assert got.mail_from == "<>"  # null envelope sender: a bounce of an ack never comes back to be answered
    assert got.rcpt_tos == ["a.keller@police.example"]
    assert got.message["Auto-Submitted"] == "auto-replied"
    [row] = _rows(engine)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.smtp_response is not None and row.smtp_response.startswith("250 2.0.0 Ok")
    with Session(engine) as session:
        ticket = session.get(Ticket, row.ticket_id)
        assert ticket is not None and ticket.acknowledged_at is not None
        assert "ack_sent" in [e.action for e in session.exec(select(AuditEvent)).all()]
    assert OutboxSender(s, engine).deliver_due() == 0  # nothing sent twice
    assert len(smtp_server.messages) == 1


def test_bounce_address_as_envelope_sender(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server, bounce_address="bounces@platform.example")
    _queue(engine, s)
    assert OutboxSender(s, engine).deliver_due() == 1
    assert smtp_server.wait_for(1)[0].mail_from == "bounces@platform.example"


def test_smtp_down_then_up_every_ack_arrives_exactly_once(
    settings: Settings, engine: Engine, smtp_server: SmtpServer
) -> None:
    s = _smtp(settings, smtp_server)
    _queue(engine, s, 3)
    smtp_server.stop()
    sender = OutboxSender(s, engine)
    before = utcnow()
    assert sender.deliver_due() == 0
    rows = _rows(engine)
    assert all(r.status == "queued" and r.attempts == 1 and (r.last_error or "").startswith("connect:") for r in rows)
    first_delays = [(r.next_attempt_at - before).total_seconds() for r in rows]
    assert all(0.15 <= d <= 1.5 for d in first_delays), first_delays
    assert sender.deliver_due() == 0 and all(r.attempts == 1 for r in _rows(engine))  # not due yet: no attempt
    time.sleep(0.3)
    assert sender.deliver_due() == 0
    assert all(r.attempts == 2 for r in _rows(engine))
    smtp_server.start()
    deadline = time.monotonic() + 10
    sent = 0
    while sent < 3 and time.monotonic() < deadline:
        sent += sender.deliver_due()
        time.sleep(0.05)
    assert sent == 3
    got = smtp_server.wait_for(3)
    assert len(got) == 3
    assert len({m.message["Message-ID"] for m in got}) == 3
    assert {m.message["Message-ID"] for m in got} == {r.message_id for r in _rows(engine)}
    assert all(r.status == "sent" and r.attempts == 3 for r in _rows(engine))
    time.sleep(0.5)
    assert sender.deliver_due() == 0 and len(smtp_server.messages) == 3


def test_backoff_doubles_up_to_the_cap(settings: Settings) -> None:
    s = settings.model_copy(update={"outbox_backoff_seconds": 30.0, "outbox_backoff_max_seconds": 900.0})
    assert [backoff_seconds(s, n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


def test_marked_failed_after_max_attempts(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server, outbox_max_attempts=3, outbox_backoff_seconds=0.05,
              outbox_backoff_max_seconds=0.05)
    _queue(engine, s)
    smtp_server.stop()
    sender = OutboxSender(s, engine)
    for _ in range(40):
        sender.deliver_due()
        if _rows(engine)[0].status == "failed":
            break
        time.sleep(0.06)
    [row] = _rows(engine)
    assert row.status == "failed" and row.attempts == 3
    assert (row.last_error or "").startswith("connect:")
    with Session(engine) as session:
        ticket = session.get(Ticket, row.ticket_id)
        assert ticket is not None and ticket.acknowledged_at is None
        [event] = [e for e in session.exec(select(AuditEvent)).all() if e.action == "ack_failed"]
        assert event.ticket_id == row.ticket_id and event.detail["attempts"] == 3
    smtp_server.start()
    assert sender.deliver_due() == 0  # a failed row stays failed until staff act


def test_permanent_rejection_fails_at_once(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server)
    _queue(engine, s)
    smtp_server.reject_with = "554 5.7.1 Message refused"
    assert OutboxSender(s, engine).deliver_due() == 0
    [row] = _rows(engine)
    assert row.status == "failed" and row.attempts == 1
    assert row.smtp_response == "DATA: 554 5.7.1 Message refused"


def test_smtp_auth(settings: Settings, engine: Engine, smtp_server_auth: SmtpServer) -> None:
    bad = _smtp(settings, smtp_server_auth, smtp_user="triage", smtp_password=SecretStr("wrong"))
    _queue(engine, bad)
    assert OutboxSender(bad, engine).deliver_due() == 0
    [row] = _rows(engine)
    assert row.status == "queued" and (row.last_error or "").startswith("auth: 535")
    assert "wrong" not in (row.last_error or "")
    good = bad.model_copy(update={"smtp_password": SecretStr("s3cret")})
    with session_scope(engine) as session:  # make it due now
        stored = session.get(Outbox, row.id)
        assert stored is not None
        stored.next_attempt_at = utcnow()
    assert OutboxSender(good, engine).deliver_due() == 1
    assert len(smtp_server_auth.wait_for(1)) == 1


def test_file_mode_writes_eml(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    s = settings.model_copy(update={"outbox_dir": tmp_path / "outbox"})
    _queue(engine, s)
    assert OutboxSender(s, engine).deliver_due() == 1
    [path] = list((tmp_path / "outbox").iterdir())
    [row] = _rows(engine)
    assert path.read_bytes() == row.raw and row.status == "sent"
    assert row.smtp_response == f"written {path.name}"


def test_a_dead_workers_claim_is_taken_over(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server)
    [row_id] = _queue(engine, s)
    with session_scope(engine) as session:
        row = session.get(Outbox, row_id)
        assert row is not None
        row.status, row.claimed_by, row.claimed_until = "sending", "dead-worker", utcnow() - timedelta(seconds=1)
    assert OutboxSender(s, engine).deliver_due() == 1
    assert len(smtp_server.wait_for(1)) == 1


def _concurrent(engine: Engine, settings: Settings, smtp_server: SmtpServer, n: int) -> None:
    _queue(engine, settings, n)
    sent: list[int] = []
    workers = [OutboxSender(settings, engine, worker_id=f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=lambda w=w: sent.append(w.deliver_due())) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(sent) == n
    got = smtp_server.wait_for(n)
    assert len(got) == n and len({m.message["Message-ID"] for m in got}) == n
    time.sleep(0.2)
    assert len(smtp_server.messages) == n


def test_concurrent_senders_sqlite(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    _concurrent(engine, _smtp(settings, smtp_server), smtp_server, 12)


@pytest.mark.postgres
def test_concurrent_senders_postgres(settings: Settings, pg_url: str, smtp_server: SmtpServer) -> None:
    pg = make_engine(pg_url)
    try:
        _concurrent(pg, _smtp(settings, smtp_server, database_url=pg_url), smtp_server, 12)
    finally:
        pg.dispose()


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_modes(mode: str, settings: Settings, engine: Engine, request: pytest.FixtureRequest,
                   monkeypatch: pytest.MonkeyPatch, smtp_tls_cert: tuple[Path, Path]) -> None:
    server: SmtpServer = request.getfixturevalue(f"smtp_server_{mode}")
    s = _smtp(settings, server, smtp_tls=mode)
    _queue(engine, s)
    # not trusted yet: the certificate is refused, nothing is sent, the row waits for a retry
    assert OutboxSender(s, engine).deliver_due() == 0
    [row] = _rows(engine)
    assert row.status == "queued" and "CERTIFICATE_VERIFY_FAILED" in (row.last_error or "")
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_tls_cert[0]))
    with session_scope(engine) as session:
        stored = session.get(Outbox, row.id)
        assert stored is not None
        stored.next_attempt_at = utcnow()
    assert OutboxSender(s, engine).deliver_due() == 1
    assert len(server.wait_for(1)) == 1


def test_unsendable_address_fails_without_retries(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server)
    mail = parsed("human.eml")
    mail.from_address = "josé@polícia.example"
    with session_scope(engine) as session:
        queue_ack(session, s, mail, new_ticket(session), "es")
    assert OutboxSender(s, engine).deliver_due() == 0
    [row] = _rows(engine)
    assert row.status == "failed" and row.attempts == 1 and (row.last_error or "").startswith("address:")


class _CountingSender(OutboxSender):
    """Counts connections; optionally cuts the kept connection after each sent row (a server timeout)."""

    def __init__(self, *args: Any, cut: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connects, self.cut = 0, cut

    def _connect(self) -> Any:
        self.connects += 1
        return super()._connect()

    def attempt(self, row: Any) -> Any:
        result = super().attempt(row)
        if self.cut and self._smtp is not None and self._smtp.sock is not None:
            self._smtp.sock.shutdown(socket.SHUT_RDWR)
        return result


def test_a_batch_goes_over_one_connection(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server)
    _queue(engine, s)
    mail = parsed("human.eml")
    mail.from_address = "josé@polícia.example"  # fails in the middle of the batch: RSET, then the next row
    with session_scope(engine) as session:
        queue_ack(session, s, mail, new_ticket(session), "es")
    _queue(engine, s, 2)
    sender = _CountingSender(s, engine)
    assert sender.deliver_due() == 3
    assert sender.connects == 1 and sender._smtp is None  # hung up after the batch
    assert len(smtp_server.wait_for(3)) == 3
    assert [r.status for r in _rows(engine)] == ["sent", "failed", "sent", "sent"]


def test_a_kept_connection_that_died_is_replaced(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server)
    _queue(engine, s, 3)
    sender = _CountingSender(s, engine, cut=True)
    assert sender.deliver_due() == 3
    assert sender.connects == 3 and len(smtp_server.wait_for(3)) == 3
    assert all(r.status == "sent" and r.attempts == 1 for r in _rows(engine))


def test_a_batch_is_settled_in_one_transaction(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _smtp(settings, smtp_server)
    ids = _queue(engine, s, 3)
    commits: list[object] = []
    sender = OutboxSender(s, engine)
    assert sender.claim(10) == ids  # oldest first
    listener = commits.append
    event.listen(engine, "commit", listener)
    try:
        got = sender.settle_all([(ids[0], Attempt(True, "250 ok")), (ids[1], Attempt(False, "451 later")),
                                 (ids[2], Attempt(False, "550 no", permanent=True))])
    finally:
        event.remove(engine, "commit", listener)
    assert got == 1 and len(commits) == 1
    sent, retry, failed = _rows(engine)
    assert (sent.status, retry.status, failed.status) == ("sent", "queued", "failed")
    assert retry.last_error == "451 later" and retry.next_attempt_at > utcnow() - timedelta(seconds=1)
    assert all(r.attempts == 1 and r.claimed_by is None for r in (sent, retry, failed))
    with Session(engine) as session:
        stamped = [t.acknowledged_at is not None for t in session.exec(select(Ticket).order_by(col(Ticket.id)))]
        assert stamped == [True, False, False]
        assert [e.action for e in session.exec(select(AuditEvent).where(col(AuditEvent.action) != "ack_queued"))
                ] == ["ack_sent", "ack_failed"]


def test_a_row_whose_claim_was_lost_is_left_alone(settings: Settings, engine: Engine) -> None:
    ids = _queue(engine, settings, 2)
    sender = OutboxSender(settings, engine, worker_id="me")
    assert sender.claim(10) == ids
    with session_scope(engine) as session:  # our lease ran out and another worker took the second row
        row = session.get(Outbox, ids[1])
        assert row is not None
        row.claimed_by = "other"
    assert sender.settle_all([(ids[0], Attempt(True, "250 ok")), (ids[1], Attempt(True, "250 ok"))]) == 1
    first, second = _rows(engine)
    assert first.status == "sent" and (second.status, second.claimed_by, second.attempts) == ("sending", "other", 0)


@pytest.mark.parametrize(("seconds", "groups"), [(60.0, [3]), (0.0, [1, 1, 1])])
def test_outcomes_are_settled_together_within_settle_seconds(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seconds: float,
    groups: list[int],
) -> None:
    """A crash between a send and its settle resends the unsettled rows: their group spans at most that long."""
    monkeypatch.setattr(sender_module, "SETTLE_SECONDS", seconds)
    s = settings.model_copy(update={"outbox_dir": tmp_path / "out"})
    _queue(engine, s, 3)
    seen: list[int] = []

    class Recording(OutboxSender):
        def settle_all(self, outcomes: list[tuple[int, Attempt]]) -> int:
            seen.append(len(outcomes))
            return super().settle_all(outcomes)

    assert Recording(s, engine).deliver_due() == 3
    assert seen == groups


def test_settling_writes_each_outcome_and_keeps_what_it_does_not_change(settings: Settings, engine: Engine) -> None:
    """Sent, retried, failed at the last attempt, failed for good: each row's state and audit event."""
    s = settings.model_copy(update={"outbox_max_attempts": 3})
    ids = _queue(engine, s, 4)
    with session_scope(engine) as session:  # earlier attempts left a reply and a count behind
        for row in session.exec(select(Outbox)):
            row.attempts, row.smtp_response, row.last_error = (2, "451 earlier", "451 earlier")
    sender = OutboxSender(s, engine, worker_id="me")
    assert sender.claim(10) == ids
    with Session(engine) as session:
        before = {r.id: r.next_attempt_at for r in session.exec(select(Outbox))}
    now = utcnow()
    sender.settings = s.model_copy(update={"outbox_max_attempts": 4})  # the retry is not the last attempt
    got = sender.settle_all([(ids[0], Attempt(True, "250 ok")), (ids[1], Attempt(False, "452 later"))])
    sender.settings = s
    got += sender.settle_all([(ids[2], Attempt(False, "421 busy")), (ids[3], Attempt(False, "550 no", True))])
    assert got == 1
    sent, retry, last, refused = _rows(engine)
    assert (sent.status, sent.attempts, sent.smtp_response, sent.last_error) == ("sent", 3, "250 ok", None)
    assert sent.sent_at is not None and sent.sent_at >= now and sent.next_attempt_at == before[ids[0]]
    assert (retry.status, retry.attempts, retry.smtp_response, retry.last_error) == ("queued", 3, "451 earlier",
                                                                                    "452 later")
    assert retry.sent_at is None and retry.next_attempt_at > now
    assert (last.status, last.smtp_response, last.last_error) == ("failed", "451 earlier", "421 busy")
    assert (refused.status, refused.smtp_response, refused.last_error) == ("failed", "550 no", "550 no")
    assert last.next_attempt_at == before[ids[2]] and last.sent_at is None and refused.sent_at is None
    assert all(r.claimed_by is None and r.claimed_until is None for r in (sent, retry, last, refused))
    with Session(engine) as session:
        events = [(e.action, e.ticket_id, e.detail) for e in session.exec(
            select(AuditEvent).where(col(AuditEvent.action) != "ack_queued").order_by(col(AuditEvent.id)))]
        stamped = [t.id for t in session.exec(select(Ticket).where(col(Ticket.acknowledged_at).is_not(None)))]
    assert events == [
        ("ack_sent", sent.ticket_id, {"outbox_id": ids[0], "response": "250 ok", "attempts": 3}),
        ("ack_failed", last.ticket_id, {"outbox_id": ids[2], "error": "421 busy", "attempts": 3}),
        ("ack_failed", refused.ticket_id, {"outbox_id": ids[3], "error": "550 no", "attempts": 3}),
    ]
    assert stamped == [sent.ticket_id]


def test_a_group_settles_in_a_few_statements_whatever_its_size(settings: Settings, engine: Engine) -> None:
    ids = _queue(engine, settings, 20)
    sender = OutboxSender(settings, engine)
    assert sender.claim(50) == ids
    statements: list[str] = []

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", _count)
    try:
        assert sender.settle_all([(i, Attempt(True, "250 ok")) for i in ids]) == 20
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    # read the rows; the audit events (SQLite: 3 for the first, 1 for the rest; PostgreSQL: lock, ids, 1);
    # the rows' state (one executemany); the tickets
    assert len(statements) <= 7, statements
    with Session(engine) as session:
        assert len([e for e in session.exec(select(AuditEvent)) if e.action == "ack_sent"]) == 20
