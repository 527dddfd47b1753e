"""CPU cost of the acknowledgment path: deciding and queueing an ack, then delivering it.

The filing step's ``acknowledge`` share (decide_ack + queue_ack, or record_suppressed) is timed
per message in the filing transaction, after the mail was classified and the ticket created with
its audit event (as the pipeline does); the final flush is included, the commit is not (it
belongs to the filing).
Delivery (``OutboxSender.deliver_due``: claim, SMTP, settle) is timed per ack against an aiosmtpd
sink running in a CHILD process on loopback, so its CPU is not counted. CPU time
(``time.process_time``) of this process only; the machine is shared, so compare runs made together.

    python -m bench.ack_path [--n 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bench.corpus import generate
from store import audit
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.models import utcnow
from store.tickets import create_ticket
from triage.mime_limits import ParseLimits
from triage.parse import ParsedMail, parse_bytes
from triage.pipeline.ack import acknowledge
from triage.replies import rules
from triage.replies.sender import OutboxSender
from triage.settings import Settings, load_settings

SINK = (
    "import sys; from tests.servers.smtp import SmtpServer\n"
    "s = SmtpServer(); s.start(); print(s.port, flush=True); sys.stdin.readline()\n"
    "print(len(s.messages), flush=True); s.stop()\n"
)
ROOT = Path(__file__).resolve().parent.parent


def _settings(root: Path, url: str, port: int) -> Settings:
    return load_settings(
        database_url=url, data_dir=root / "data", smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
        ack_unverified=False, ack_max_age_days=100000, ack_rate_per_sender=100000,
        ack_rate_per_domain=100000, ack_rate_global=100000,
    )


def _decide_and_queue(settings: Settings, engine: Engine, mails: list[ParsedMail]) -> tuple[float, int]:
    """CPU seconds spent in ``acknowledge`` (plus the flush of what it added); acks queued."""
    cpu, queued = 0.0, 0
    for parsed in mails:
        mail_class = rules.classify(parsed, settings)  # as the pipeline does, before filing (not timed)
        with session_scope(engine) as session:
            ticket = create_ticket(session, received_at=parsed.date or utcnow(), mailbox="bench",
                                   mail_class=mail_class, status="new", subject=parsed.subject[:5000],
                                   sender_address=parsed.from_address[:320] or None)
            audit.record(session, "ticket_created", ticket_id=ticket.id, detail={"message_id": parsed.message_id})
            started = time.process_time()
            decision = acknowledge(session, settings, parsed, ticket, new_ticket=True, mail_class=mail_class,
                                   sender_verified=True, language=None)
            session.flush()
            cpu += time.process_time() - started
            queued += decision.startswith("ack queued")
    return cpu, queued


def _deliver(settings: Settings, engine: Engine) -> tuple[float, int]:
    """CPU seconds of draining the outbox with ``deliver_due`` batches; acks sent."""
    sender = OutboxSender(settings, engine, worker_id="bench")
    started = time.process_time()
    sent = 0
    while True:
        batch = sender.deliver_due(limit=100)
        if batch == 0:
            break
        sent += batch
    return time.process_time() - started, sent


def measure(n: int, database_url: str | None = None) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="triage-ackbench-"))
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    try:
        assert sink.stdout is not None and sink.stdin is not None
        port = int(sink.stdout.readline())
        url = database_url or f"sqlite:///{root / 'triage.db'}"
        settings = _settings(root, url, port)
        upgrade(url)
        engine = make_engine(url)
        limits = ParseLimits.from_settings(settings)
        mails = [parse_bytes(raw, limits) for raw in generate(n)]
        _decide_and_queue(settings, engine, mails[:5])  # warm-up: templates, compiled statements
        decide_cpu, queued = _decide_and_queue(settings, engine, mails[5:])
        deliver_cpu, sent = _deliver(settings, engine)
        sink.stdin.write("\n")
        sink.stdin.flush()
        received = int(sink.stdout.readline())
        return {
            "messages": n - 5, "acks_queued": queued, "acks_sent": sent, "sink_received": received,
            "acknowledge_cpu_ms_per_message": round(1000 * decide_cpu / (n - 5), 2),
            "deliver_cpu_ms_per_ack": round(1000 * deliver_cpu / max(sent, 1), 2),
        }
    finally:
        if sink.poll() is None:
            sink.kill()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--database-url", default=None, help="an EMPTY database (default: a fresh SQLite file)")
    args = ap.parse_args()
    print(json.dumps(measure(args.n, args.database_url), indent=2))


if __name__ == "__main__":
    main()
