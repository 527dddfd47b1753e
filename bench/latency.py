"""APPEND-to-acknowledgment latency against an idle daemon using IMAP IDLE."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import threading
import time
from email import message_from_bytes

from bench.servers import bench_env, fresh_workdir, triage_cmd
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer


class ArrivalClock:
    """Stamps each message the SMTP sink accepts with the time it was first seen."""

    def __init__(self, smtp: SmtpServer) -> None:
        self.smtp = smtp
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        count = 0
        while not self._stop.is_set():
            msgs = self.smtp.messages
            while count < len(msgs):
                reply_to = message_from_bytes(msgs[count].data).get("In-Reply-To", "").strip()
                self.seen.setdefault(reply_to, time.perf_counter())
                count += 1
            time.sleep(0.002)

    def __enter__(self) -> ArrivalClock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _warm_up(imap: DovecotServer, smtp: SmtpServer, raw: bytes, timeout: float = 180.0) -> None:
    """One message through the daemon first, so that start-up work is not counted as latency."""
    before = len(smtp.messages)
    imap.append(raw)
    deadline = time.monotonic() + timeout
    while len(smtp.messages) <= before:
        if time.monotonic() > deadline:
            raise RuntimeError("the daemon did not acknowledge the warm-up message")
        time.sleep(0.1)
    time.sleep(1.0)  # back in IDLE


def measure(raws: list[bytes], gap_seconds: float = 1.0) -> dict[str, float]:
    """Append each message ``gap_seconds`` apart; p50/p95/max seconds until its ack arrives.

    The first message only warms the daemon up; only acknowledged messages (verified senders)
    have a latency.
    """
    warm, raws = raws[0], raws[1:]
    imap, smtp = DovecotServer(), SmtpServer()
    imap.start()
    smtp.start()
    work = fresh_workdir()
    env = bench_env(imap, smtp, work, TRIAGE_POLL_SECONDS="600", TRIAGE_OUTBOX_POLL_SECONDS="0.2")
    subprocess.run(triage_cmd("db", "upgrade"), env=env, check=True, capture_output=True)
    errlog = (work / "daemon.log").open("wb")
    daemon = subprocess.Popen(triage_cmd("run"), env=env, stdout=subprocess.DEVNULL, stderr=errlog)
    sent: dict[str, float] = {}
    try:
        _warm_up(imap, smtp, warm)
        client = imap.client()
        with ArrivalClock(smtp) as clock:
            for raw in raws:
                mid = message_from_bytes(raw)["Message-ID"].strip()
                sent[mid] = time.perf_counter()
                client.append("INBOX", raw)
                time.sleep(gap_seconds)
            deadline = time.monotonic() + 30
            while len(clock.seen) < len(raws) and time.monotonic() < deadline:
                time.sleep(0.1)
        client.logout()
        lat = sorted(clock.seen[m] - t for m, t in sent.items() if m in clock.seen)
        if not lat:
            print((work / "daemon.log").read_text(errors="replace")[-3000:])
    finally:
        errlog.close()
        daemon.terminate()
        daemon.wait(timeout=30)
        smtp.stop()
        imap.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    if not lat:
        return {"messages": len(raws), "acked": 0}
    return {
        "messages": len(raws),
        "acked": len(lat),
        "p50_s": round(statistics.median(lat), 3),
        "p95_s": round(lat[max(0, round(0.95 * len(lat)) - 1)], 3),
        "max_s": round(lat[-1], 3),
    }
