"""Issue 5: three replicas on one mailbox and one PostgreSQL database; the leader is killed.

Three real ``triage run`` processes share a Dovecot mailbox and a throwaway PostgreSQL
database. Only the leader (the advisory-lock holder) fetches; it is SIGKILLed mid-backlog, a
follower takes over, and when the inbox is drained every message has exactly one ticket and
one acknowledgment at the SMTP sink, save at most the acks of the one settle group that was in
flight at the kill (``SETTLE_MAX_ROWS``).
"""

from __future__ import annotations

import collections
import email
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from store.audit import AUDIT_LOCK_KEY
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import mail
from triage.replies.sender import SETTLE_MAX_ROWS

BACKLOG = 150
REPLICAS = 3
KILL_AFTER = 30


def _env(tmp_path: Path, pg_url: str, dovecot: DovecotServer, smtp: SmtpServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    return env | dovecot.env() | {
        "TRIAGE_DATABASE_URL": pg_url,
        "TRIAGE_DATA_DIR": str(tmp_path / "data"),  # one shared archive, as on a shared volume
        "TRIAGE_SMTP_HOST": smtp.host,
        "TRIAGE_SMTP_PORT": str(smtp.port),
        "TRIAGE_USE_SPACY": "false",
        "TRIAGE_ACK_UNVERIFIED": "true",
        "TRIAGE_ACK_RATE_PER_SENDER": "1000",
        "TRIAGE_ACK_RATE_PER_DOMAIN": "1000",
        "TRIAGE_BATCH_SIZE": "10",
        "TRIAGE_LEADER_RETRY_SECONDS": "0.5",
        "TRIAGE_OUTBOX_POLL_SECONDS": "0.5",
        "TRIAGE_POLL_SECONDS": "1",
        "TRIAGE_SECRET_KEY": "replica-test-secret",
        "TRIAGE_LOG_FORMAT": "json",
    }


def _wait(cond: Callable[[], bool], timeout: float, what: str, check: Callable[[], None] = lambda: None) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        check()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], list[tuple[subprocess.Popen[bytes], Path]]]]:
    started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(env: dict[str, str]) -> list[tuple[subprocess.Popen[bytes], Path]]:
        out = []
        for n in range(REPLICAS):
            path = tmp_path / f"replica{n}.log"
            log = path.open("wb")
            proc = subprocess.Popen([sys.executable, "-m", "triage", "run"], env=env, stdout=log, stderr=log)
            started.append((proc, log))
            out.append((proc, path))
        return out

    yield start
    for proc, _log in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc, log in started:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _scalar(engine: Engine, sql: str) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    except Exception:  # schema not migrated yet
        return 0


def _filing(path: Path) -> bool:
    return b'"decision"' in path.read_bytes()


@pytest.mark.slow
def test_three_replicas_leader_killed_exactly_once(
    tmp_path: Path, pg_url: str, dovecot: DovecotServer, smtp_server: SmtpServer,
    replicas: Callable[[dict[str, str]], list[tuple[subprocess.Popen[bytes], Path]]],
) -> None:
    ids = [f"<replica-{i}@police{i % 5}.example>" for i in range(BACKLOG)]
    dovecot.append(*[mail(subject=f"Request number {i}", sender=f"officer{i}@police{i % 5}.example", msgid=m)
                     for i, m in enumerate(ids)])
    engine = create_engine(pg_url)
    try:
        procs = replicas(_env(tmp_path, pg_url, dovecot, smtp_server))

        def alive() -> None:
            for proc, path in procs:
                assert proc.poll() is None or proc.returncode == -signal.SIGKILL, path.read_text()[-3000:]

        _wait(lambda: _scalar(engine, "SELECT count(*) FROM ticket") >= KILL_AFTER, 120, "the first tickets", alive)
        filing = [(proc, path) for proc, path in procs if _filing(path)]
        assert len(filing) == 1, "exactly one replica (the leader) fetches and files"
        held = "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database " \
               "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() " \
               f"AND NOT (l.classid = 0 AND l.objid = {AUDIT_LOCK_KEY})"  # the audit chain's short xact lock
        assert _scalar(engine, held) == 1, "one advisory-lock holder: the leader"
        leader, _ = filing[0]
        os.kill(leader.pid, signal.SIGKILL)
        leader.wait()
        filed_at_kill = _scalar(engine, "SELECT count(*) FROM ticket")
        assert filed_at_kill < BACKLOG, "the kill must land mid-backlog"

        _wait(lambda: dovecot.count("INBOX") == 0 and _scalar(engine, "SELECT count(*) FROM ticket") >= BACKLOG,
              180, "a follower to take over and drain the inbox", alive)
        # the dead leader's claimed acks wait for their lease (4 x smtp_timeout + 60 s): let it run out
        with engine.begin() as conn:
            conn.execute(text("UPDATE outbox SET claimed_until = now() - interval '1 second' "
                              "WHERE status = 'sending'"))
        _wait(lambda: _scalar(engine, "SELECT count(*) FROM outbox WHERE kind='ack' AND status='sent'") >= BACKLOG,
              60, "every acknowledgment sent", alive)
        survivors = [(p, path) for p, path in procs if p is not leader]
        assert sum(_filing(path) for _, path in survivors) == 1, "one follower took over"

        assert _scalar(engine, "SELECT count(*) FROM raw_message") == BACKLOG
        assert _scalar(engine, "SELECT count(*) FROM raw_message WHERE ticket_id IS NULL") == 0
        assert _scalar(engine, "SELECT count(*) FROM ticket") == BACKLOG
        assert _scalar(engine, "SELECT count(DISTINCT message_id) FROM ticket_message WHERE direction='inbound'") \
            == BACKLOG
        assert _scalar(engine, "SELECT count(*) FROM ticket_message WHERE direction='inbound'") == BACKLOG
        assert _scalar(engine, "SELECT count(*) FROM outbox WHERE kind='ack'") == BACKLOG
        assert dovecot.count("Processed") == BACKLOG
        time.sleep(1.0)  # let a late duplicate, if any, arrive before counting
        per_original = collections.Counter(
            email.message_from_bytes(m.data)["In-Reply-To"] for m in smtp_server.messages
        )
        assert set(per_original) == set(ids)
        duplicates = sum(n - 1 for n in per_original.values())
        assert duplicates <= SETTLE_MAX_ROWS, f"{duplicates} duplicate acks: at most one unsettled group may repeat"
    finally:
        engine.dispose()
