"""Metrics: own registry per instance, counters, DB-computed gauges, the HTTP exporter."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from store.db import make_engine, session_scope
from store.models import MailboxState, Outbox, Ticket, utcnow
from triage.metrics import Metrics, serve_metrics


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_each_instance_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    a.fetched("le", 3)
    assert _samples(a)[("triage_messages_fetched_total", (("mailbox", "le"),))] == 3
    assert ("triage_messages_fetched_total", (("mailbox", "le"),)) not in _samples(b)


def test_counters_histogram_and_poll_time() -> None:
    m = Metrics()
    m.ticket_filed("preservation")
    m.ticket_filed(None)
    m.acknowledgment("sent")
    m.acknowledgment("sent")
    m.acknowledgment("suppressed")
    m.imap_reconnect("le")
    m.poll_succeeded("le", when=1_700_000_000.0)
    with pytest.raises(RuntimeError), m.time_step("parse"):
        raise RuntimeError("the step failed; its time still counts")
    with m.time_step("extract"):
        pass
    s = _samples(m)
    assert s[("triage_tickets_filed_total", (("request_type", "preservation"),))] == 1
    assert s[("triage_tickets_filed_total", (("request_type", "unknown"),))] == 1
    assert s[("triage_acknowledgments_total", (("outcome", "sent"),))] == 2
    assert s[("triage_acknowledgments_total", (("outcome", "suppressed"),))] == 1
    assert s[("triage_imap_reconnects_total", (("mailbox", "le"),))] == 1
    assert s[("triage_last_successful_poll_timestamp_seconds", (("mailbox", "le"),))] == 1_700_000_000.0
    assert s[("triage_step_seconds_count", (("step", "parse"),))] == 1
    assert s[("triage_step_seconds_count", (("step", "extract"),))] == 1
    with pytest.raises(ValueError):
        m.acknowledgment("lost")


def _fill(engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as s:
        s.add(Ticket(reference="LE-2026-000001", request_type="preservation"))
        s.add(Ticket(reference="LE-2026-000002", request_type="preservation"))
        s.add(Ticket(reference="LE-2026-000003", request_type=None))
        s.add(Outbox(kind="ack", status="queued", created_at=now - timedelta(minutes=10)))
        s.add(Outbox(kind="ack", status="sending", created_at=now - timedelta(minutes=2)))
        s.add(Outbox(kind="oncall", status="queued", created_at=now))
        s.add(Outbox(kind="ack", status="sent", created_at=now - timedelta(days=3)))
        s.add(MailboxState(mailbox="le", folder="INBOX", last_poll_at=now))


def _check_db_gauges(engine: Engine) -> None:
    _fill(engine)
    s = _samples(Metrics(engine))
    assert s[("triage_database_up", ())] == 1
    assert s[("triage_outbox_backlog", (("kind", "ack"),))] == 2
    assert s[("triage_outbox_backlog", (("kind", "oncall"),))] == 1
    assert 590 <= s[("triage_outbox_oldest_age_seconds", ())] <= 700
    assert s[("triage_tickets", (("request_type", "preservation"),))] == 2
    assert s[("triage_tickets", (("request_type", "unknown"),))] == 1
    poll = s[("triage_mailbox_last_poll_timestamp_seconds", (("folder", "INBOX"), ("mailbox", "le")))]
    assert abs(poll - utcnow().timestamp()) < 60


def test_database_gauges_sqlite(engine: Engine) -> None:
    _check_db_gauges(engine)


@pytest.mark.postgres
def test_database_gauges_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        _check_db_gauges(engine)
    finally:
        engine.dispose()


def test_unreachable_database_does_not_break_the_scrape(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path}/missing-dir/nope.db")
    s = _samples(Metrics(engine))
    assert s[("triage_database_up", ())] == 0


def test_exporter_serves_over_http(engine: Engine) -> None:
    m = Metrics(engine)
    m.fetched("le")
    server = serve_metrics(m, 0, addr="127.0.0.1")
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5).read().decode()
    finally:
        server.close()
    assert 'triage_messages_fetched_total{mailbox="le"} 1.0' in body
    assert "triage_database_up 1.0" in body
