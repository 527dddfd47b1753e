"""Loopback servers for the benchmarks: the same Dovecot and SMTP peers the tests use."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer

ROOT = Path(__file__).resolve().parent.parent


def bench_env(imap: DovecotServer, smtp: SmtpServer, workdir: Path, db_url: str | None = None,
              **extra: str) -> dict[str, str]:
    """Environment for a `triage` child process pointed at the loopback servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env |= imap.env() | {
        "TRIAGE_SMTP_HOST": smtp.host,
        "TRIAGE_SMTP_PORT": str(smtp.port),
        "TRIAGE_SMTP_TLS": "none",
        "TRIAGE_DATABASE_URL": db_url or f"sqlite:///{workdir / 'triage.db'}",
        "TRIAGE_DATA_DIR": str(workdir / "data"),
        "TRIAGE_LOG_FORMAT": "json",
        "TRIAGE_LOG_LEVEL": "WARNING",
        "TRIAGE_ACK_RATE_PER_SENDER": "100000",
        "TRIAGE_ACK_RATE_PER_DOMAIN": "100000",
        "TRIAGE_ACK_RATE_GLOBAL": "100000",  # the 500-an-hour breaker would suppress most acks of a 2,000 backlog
        "TRIAGE_ACK_MAX_AGE_DAYS": "100000",
    }
    env |= extra
    return env


def triage_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "triage", *args]


def fresh_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="triage-bench-"))
