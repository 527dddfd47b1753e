"""The daemon end to end on real servers: Dovecot in, aiosmtpd out, SQLite in between."""

from __future__ import annotations

import email
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine

from store.db import make_engine
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import inbound, mail, outbox, raws, run_once, server_settings, tickets
from triage.daemon import Daemon
from triage.settings import Settings


def wait_until(cond: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


@pytest.fixture
def running() -> Iterator[Callable[[Settings], Daemon]]:
    """Start a daemon in a thread; it is stopped (as SIGTERM would) at the end of the test."""
    started: list[tuple[Daemon, threading.Thread, Engine]] = []

    def start(settings: Settings) -> Daemon:
        engine = make_engine(settings.database_url)
        daemon = Daemon(settings, engine)
        thread = threading.Thread(target=daemon.run, daemon=True)
        thread.start()
        started.append((daemon, thread, engine))
        return daemon

    yield start
    for daemon, thread, engine in started:
        daemon.stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        engine.dispose()


def test_new_mail_gives_one_ticket_and_one_threaded_ack(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(settings, dovecot, smtp_server)
    raw = mail(subject="Preservation request - case 26-0042", msgid="<req-42@police.example>")
    dovecot.append(raw)
    assert run_once(s) == 0
    [ticket] = tickets(engine)
    assert ticket.reference.startswith(f"LE-{ticket.received_at.year}-")
    assert ticket.received_at.tzinfo is not None or ticket.received_at.year >= 2026
    [sent] = smtp_server.wait_for(1)
    ack = email.message_from_bytes(sent.data)
    assert ack["In-Reply-To"] == "<req-42@police.example>"
    assert "<req-42@police.example>" in ack["References"]
    assert ack["Subject"] == f"Re: Preservation request - case 26-0042 [{ticket.reference}]"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert sent.rcpt_tos == ["j.doe@police.example"]
    [row] = [o for o in outbox(engine) if o.kind == "ack"]
    assert row.status == "sent" and row.message_id == ack["Message-ID"]
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == 1
    [r] = raws(engine)
    assert r.state == "done" and r.ticket_id == ticket.id and r.internaldate is not None and r.uid
    # a second run changes nothing
    assert run_once(s) == 0
    assert len(tickets(engine)) == 1 and len(raws(engine)) == 1 and len(outbox(engine)) == 1
    assert len(smtp_server.messages) == 1


def test_follow_ups_thread_by_in_reply_to_and_by_reference(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(settings, dovecot, smtp_server)
    dovecot.append(mail(msgid="<first@police.example>"))
    run_once(s)
    [ticket] = tickets(engine)
    ack_id = email.message_from_bytes(smtp_server.wait_for(1)[0].data)["Message-ID"]
    dovecot.append(
        mail(subject="Re: your acknowledgment", msgid="<second@police.example>",
             headers={"In-Reply-To": ack_id, "References": f"<first@police.example> {ack_id}"}),
        mail(subject=f"Additional account for {ticket.reference}", msgid="<third@police.example>"),
    )
    run_once(s)
    assert [t.id for t in tickets(engine)] == [ticket.id]
    assert [m.message_id for m in inbound(engine)] == [
        "<first@police.example>", "<second@police.example>", "<third@police.example>"]
    assert len(smtp_server.messages) == 1  # no second acknowledgment
    suppressed = [o for o in outbox(engine) if o.status == "suppressed"]
    assert len(suppressed) == 2 and all(o.reason for o in suppressed)


def test_smtp_down_then_up_delivers_each_ack_once(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(settings, dovecot, smtp_server)
    smtp_server.stop()
    dovecot.append(*[mail(sender=f"officer{i}@police{i}.example") for i in range(3)])
    run_once(s)
    rows = [o for o in outbox(engine) if o.kind == "ack"]
    assert len(rows) == 3 and all(o.status == "queued" and o.attempts >= 1 and o.last_error for o in rows)
    assert dovecot.count("INBOX") == 0  # filed and moved although nothing could be sent
    smtp_server.start()
    assert wait_until(lambda: (run_once(s), len(smtp_server.messages) >= 3)[1], timeout=20)
    run_once(s)
    assert len(smtp_server.messages) == 3
    assert len({m.message.get("In-Reply-To") for m in smtp_server.messages}) == 3
    assert all(o.status == "sent" for o in outbox(engine) if o.kind == "ack")


def test_imap_server_restart_mid_run(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer,
    running: Callable[[Settings], Daemon], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="triage.daemon")
    running(server_settings(settings, dovecot, smtp_server))
    dovecot.append(mail(msgid="<before@police.example>"))
    assert wait_until(lambda: len(tickets(engine)) == 1)
    dovecot.restart()
    dovecot.append(mail(msgid="<after@police.example>", sender="other@police2.example"))
    assert wait_until(lambda: len(tickets(engine)) == 2)
    assert wait_until(lambda: len(smtp_server.messages) == 2)
    lost = [r for r in caplog.records if "connection lost" in r.getMessage()]
    assert len(lost) == 1


def test_idle_wakes_the_daemon_without_waiting_for_the_poll(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer,
    running: Callable[[Settings], Daemon],
) -> None:
    daemon = running(server_settings(settings, dovecot, smtp_server, poll_seconds=600.0))
    assert wait_until(lambda: daemon.source.has("IDLE") and getattr(daemon.source, "_idling_since", None) is not None)
    started = time.monotonic()
    dovecot.append(mail())
    assert wait_until(lambda: len(tickets(engine)) == 1, timeout=60)
    assert time.monotonic() - started < 60  # far below the 600 s poll interval


def test_uidvalidity_change_rescans_without_duplicates(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(settings, dovecot, smtp_server, mark_mode="flag")
    same_id = "<shared-id@police.example>"
    dovecot.append(mail(msgid=same_id, body="first text\n"), mail(subject="no id", msgid="<x@y>").replace(
        b"Message-ID: <x@y>\n", b""))
    run_once(s)
    assert len(tickets(engine)) == 2
    acks_before = len(smtp_server.messages)
    dovecot.change_uidvalidity()
    dovecot.append(mail(msgid=same_id, body="different text, same Message-ID\n"))
    run_once(s)
    assert len(raws(engine)) == 3  # rescanned: the two old ones deduplicated, the new one kept
    assert len(inbound(engine)) == 3
    assert len(tickets(engine)) == 2  # same Message-ID re-sent joins its ticket
    assert len(smtp_server.messages) == acks_before  # nothing acknowledged twice


def test_emergency_pages_on_call_once(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    from pathlib import Path

    import triage

    sample = Path(triage.__file__).parent / "demo" / "maildir" / "new" / "0103.demo-emergency-en.eml"
    s = server_settings(settings, dovecot, smtp_server, oncall_email="oncall@platform.example")
    dovecot.append(sample.read_bytes().replace(b"\n", b"\r\n"))
    run_once(s)
    run_once(s)
    [ticket] = tickets(engine)
    assert ticket.emergency and ticket.paged_at is not None
    pages = [m for m in smtp_server.wait_for(2) if m.rcpt_tos == ["oncall@platform.example"]]
    assert len(pages) == 1 and ticket.reference in pages[0].message["Subject"]
    assert "quiet.harbour" not in pages[0].data.decode()  # a page never carries the target


def test_polling_fallback_when_the_server_lacks_idle(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    from triage.mailbox.imap import ImapSource

    class NoIdle(ImapSource):
        def open(self) -> int | None:
            uidvalidity = super().open()
            self.capabilities.discard("IDLE")
            return uidvalidity

    s = server_settings(settings, dovecot, smtp_server, poll_seconds=1.0)
    eng = make_engine(s.database_url)
    daemon = Daemon(s, eng, source=NoIdle(s))
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        time.sleep(1.5)
        dovecot.append(mail())
        assert wait_until(lambda: len(tickets(engine)) == 1, timeout=30)
        assert getattr(daemon.source, "_idling_since", None) is None  # never entered IDLE
    finally:
        daemon.stop.set()
        thread.join(timeout=30)
        eng.dispose()
