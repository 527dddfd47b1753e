"""kill -9 of a real ``triage run`` mid-batch, then restart: every message one ticket, one ack."""

from __future__ import annotations

import collections
import email
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import mail
from triage.replies.sender import SETTLE_MAX_ROWS

BACKLOG = 200


def _env(tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env |= dovecot.env() | {
        "TRIAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'crash.db'}",
        "TRIAGE_DATA_DIR": str(tmp_path / "data"),
        "TRIAGE_SMTP_HOST": smtp.host,
        "TRIAGE_SMTP_PORT": str(smtp.port),
        "TRIAGE_USE_SPACY": "false",
        "TRIAGE_ACK_UNVERIFIED": "true",
        "TRIAGE_ACK_RATE_PER_SENDER": "1000",
        "TRIAGE_ACK_RATE_PER_DOMAIN": "1000",
        "TRIAGE_BATCH_SIZE": "25",
        "TRIAGE_SECRET_KEY": "crash-test-secret",
        "TRIAGE_LOG_FORMAT": "json",
    }
    return env


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # schema not there yet
        return 0


@pytest.mark.slow
def test_kill_9_mid_batch_then_restart(tmp_path: Path, dovecot: DovecotServer, smtp_server: SmtpServer) -> None:
    ids = [f"<backlog-{i}@police{i % 7}.example>" for i in range(BACKLOG)]
    dovecot.append(*[mail(subject=f"Request number {i}", sender=f"officer{i}@police{i % 7}.example", msgid=m)
                     for i, m in enumerate(ids)])
    env = _env(tmp_path, dovecot, smtp_server)
    db = tmp_path / "crash.db"
    log = (tmp_path / "run1.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "triage", "run"], env=env, stderr=log, stdout=log)
    deadline = time.monotonic() + 120
    while _count(db, "SELECT count(*) FROM ticket") < 40 and time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "run1.log").read_text()[-3000:]
        time.sleep(0.05)
    filed_at_kill = _count(db, "SELECT count(*) FROM ticket")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 40 <= filed_at_kill < BACKLOG, "the kill must land mid-backlog"

    done = subprocess.run([sys.executable, "-m", "triage", "run", "--once"], env=env, capture_output=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    # acks the killed process had claimed stay 'sending' until its claim lease runs out
    # (minutes); let that time pass, then the next run delivers them
    in_flight = _count(db, "SELECT count(*) FROM outbox WHERE status='sending'")
    if in_flight:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE outbox SET claimed_until='2000-01-01 00:00:00.000000' WHERE status='sending'")
        again = subprocess.run([sys.executable, "-m", "triage", "run", "--once"], env=env, capture_output=True,
                               timeout=240)
        assert again.returncode == 0, again.stderr.decode()[-3000:]

    assert _count(db, "SELECT count(*) FROM raw_message") == BACKLOG
    assert _count(db, "SELECT count(*) FROM raw_message WHERE ticket_id IS NULL") == 0
    assert _count(db, "SELECT count(*) FROM ticket") == BACKLOG
    assert _count(db, "SELECT count(DISTINCT message_id) FROM ticket_message WHERE direction='inbound'") == BACKLOG
    assert _count(db, "SELECT count(*) FROM ticket_message WHERE direction='inbound'") == BACKLOG
    assert _count(db, "SELECT count(*) FROM outbox WHERE kind='ack' AND status='sent'") == BACKLOG
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == BACKLOG
    per_original = collections.Counter(email.message_from_bytes(m.data)["In-Reply-To"] for m in smtp_server.messages)
    assert set(per_original) == set(ids)
    duplicates = sum(n - 1 for n in per_original.values())
    assert duplicates <= SETTLE_MAX_ROWS, f"{duplicates} duplicate acks: at most one unsettled group may repeat"
