"""Prometheus metrics of the daemon and the web process.

Each ``Metrics`` owns its own ``CollectorRegistry`` (nothing global at import, so tests and
several daemons in one process never collide). Counters and histograms are fed by the code
that does the work; backlog-style gauges are read from the database on each scrape, so a
follower replica reports the same truth as the leader.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Thread
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from store.models import MailboxState, Outbox, Ticket, utcnow

log = logging.getLogger(__name__)

ACK_OUTCOMES = ("sent", "suppressed", "failed")
BACKLOG_STATUSES = ("queued", "sending")
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _aware(dt: datetime) -> datetime:
    """SQLite may hand back naive datetimes; they were stored as UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


class DatabaseCollector(Collector):
    """Gauges computed from the database at scrape time: outbox backlog, tickets, last polls."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("triage_database_up", "1 when the last scrape could read the database")
        try:
            families = self._read(utcnow())
        except Exception as exc:  # a scrape must never fail because the database did
            log.warning("metrics: database read failed: %s", type(exc).__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families]

    def _read(self, now: datetime) -> list[Metric]:
        backlog = GaugeMetricFamily("triage_outbox_backlog", "Outgoing mails waiting to be sent", labels=["kind"])
        oldest = GaugeMetricFamily("triage_outbox_oldest_age_seconds", "Age of the oldest unsent outgoing mail")
        tickets = GaugeMetricFamily("triage_tickets", "Tickets by request type", labels=["request_type"])
        polled = GaugeMetricFamily(
            "triage_mailbox_last_poll_timestamp_seconds",
            "Last successful poll recorded in the database, per mailbox and folder",
            labels=["mailbox", "folder"],
        )
        with self.engine.connect() as conn:
            pending = col(Outbox.status).in_(BACKLOG_STATUSES)
            by_kind = select(col(Outbox.kind), func.count()).where(pending).group_by(col(Outbox.kind))
            for kind, count in conn.execute(by_kind):
                backlog.add_metric([kind], count)
            first = conn.execute(select(func.min(col(Outbox.created_at))).where(pending)).scalar()
            oldest.add_metric([], max(0.0, (now - _aware(first)).total_seconds()) if first else 0.0)
            rows = conn.execute(select(col(Ticket.request_type), func.count()).group_by(col(Ticket.request_type)))
            for request_type, count in rows:
                tickets.add_metric([request_type or "unknown"], count)
            for mailbox, folder, at in conn.execute(
                select(col(MailboxState.mailbox), col(MailboxState.folder), col(MailboxState.last_poll_at))
            ):
                if at is not None:
                    polled.add_metric([mailbox, folder], _aware(at).timestamp())
        return [backlog, oldest, tickets, polled]


class Metrics:
    """The daemon's counters; call the small methods from the code that does the work."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_fetched = Counter(
            "triage_messages_fetched", "Messages fetched from IMAP", ["mailbox"], registry=r
        )
        self.tickets_filed = Counter("triage_tickets_filed", "Tickets filed", ["request_type"], registry=r)
        self.acknowledgments = Counter("triage_acknowledgments", "Acknowledgments by outcome", ["outcome"], registry=r)
        self.imap_reconnects = Counter("triage_imap_reconnects", "IMAP reconnections", ["mailbox"], registry=r)
        self.step_seconds = Histogram(
            "triage_step_seconds", "Processing time per pipeline step", ["step"], buckets=STEP_BUCKETS, registry=r
        )
        self.last_poll = Gauge(
            "triage_last_successful_poll_timestamp_seconds",
            "When this process last polled a mailbox successfully",
            ["mailbox"],
            registry=r,
        )
        if engine is not None:
            r.register(DatabaseCollector(engine))

    def fetched(self, mailbox: str, count: int = 1) -> None:
        self.messages_fetched.labels(mailbox).inc(count)

    def ticket_filed(self, request_type: str | None) -> None:
        self.tickets_filed.labels(request_type or "unknown").inc()

    def acknowledgment(self, outcome: str) -> None:
        """``outcome`` is one of sent, suppressed, failed."""
        if outcome not in ACK_OUTCOMES:
            raise ValueError(f"unknown acknowledgment outcome {outcome!r}")
        self.acknowledgments.labels(outcome).inc()

    def imap_reconnect(self, mailbox: str) -> None:
        self.imap_reconnects.labels(mailbox).inc()

    def poll_succeeded(self, mailbox: str, when: float | None = None) -> None:
        self.last_poll.labels(mailbox).set(time.time() if when is None else when)

    @contextmanager
    def time_step(self, step: str) -> Iterator[None]:
        """Observe the duration of one pipeline step, even when it raises."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.step_seconds.labels(step).observe(time.perf_counter() - started)

    def render(self) -> bytes:
        """The text exposition format, for a web ``/metrics`` route."""
        return bytes(generate_latest(self.registry))


@dataclass
class MetricsServer:
    """The exporter started by ``serve_metrics``; ``close`` stops it."""

    server: Any
    thread: Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: Metrics, port: int, addr: str = "0.0.0.0") -> MetricsServer:
    """Serve ``/metrics`` from a daemon thread on ``port`` (0 picks a free port, for tests)."""
    server, thread = start_http_server(port, addr=addr, registry=metrics.registry)
    log.info("metrics exporter listening on %s:%s", addr, server.server_port)
    return MetricsServer(server, thread)
