"""The daemon's wiring: warm-up before IMAP, retention on the leader, metrics after a real run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.db import session_scope
from store.models import RawMessage, Ticket, utcnow
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import mail, server_settings
from triage.daemon import Daemon
from triage.mailbox import SourceError
from triage.mailbox.base import Fetched
from triage.metrics import Metrics
from triage.pipeline import run_item
from triage.settings import Settings


def _maildir(tmp_path: Path) -> Path:
    box = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    return box


def test_extractor_is_warm_before_the_mailbox_is_opened(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = settings.model_copy(update={"use_spacy": False, "source": f"maildir:{_maildir(tmp_path)}"})
    daemon = Daemon(s, engine)
    seen: list[bool] = []
    opened = daemon.source.open

    def open_after_warm_up() -> int | None:
        seen.append(daemon.ctx._extractor is not None)
        return opened()

    monkeypatch.setattr(daemon.source, "open", open_after_warm_up)
    assert daemon.run(once=True) == 0
    assert seen == [True]


def _closed_ticket_with_raw(s: Settings, daemon: Daemon, closed_days_ago: int) -> tuple[int, Path]:
    outcome = run_item(daemon.ctx, Fetched(raw=mail(), folder="INBOX", internaldate=utcnow()))
    assert outcome is not None
    with session_scope(daemon.engine) as session:
        raw = session.exec(select(RawMessage)).all()[-1]
        ticket = session.get(Ticket, raw.ticket_id)
        assert ticket is not None and ticket.id is not None
        ticket.status, ticket.closed_at = "closed", utcnow() - timedelta(days=closed_days_ago)
        session.add(ticket)
        return ticket.id, daemon.ctx.archive.path_for(raw.sha256)


def test_leader_loop_purges_expired_raw_mail(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    s = settings.model_copy(update={"use_spacy": False, "source": f"maildir:{_maildir(tmp_path)}",
                                    "retention_days": 2, "retention_interval_seconds": 0.1})
    daemon = Daemon(s, engine)
    _, old = _closed_ticket_with_raw(s, daemon, closed_days_ago=5)
    _, recent = _closed_ticket_with_raw(s, daemon, closed_days_ago=1)
    assert old.exists() and recent.exists()
    assert daemon.run(once=True) == 0
    assert not old.exists()
    assert recent.exists()


def test_no_retention_keeps_everything(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    s = settings.model_copy(update={"use_spacy": False, "source": f"maildir:{_maildir(tmp_path)}"})
    daemon = Daemon(s, engine)
    _, old = _closed_ticket_with_raw(s, daemon, closed_days_ago=400)
    assert daemon.run(once=True) == 0
    assert old.exists()


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_after_a_real_run_once(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = server_settings(settings, dovecot, smtp_server)
    tco = ("This is a removal order under Regulation (EU) 2021/784. Remove the content at "
           "https://platform.example/p/1 within one hour.\n")
    dovecot.append(
        mail(subject="Removal order 2026/17", body=tco),
        mail(subject="Automatic reply: out of office", headers={"Auto-Submitted": "auto-replied"}),
    )
    metrics = Metrics(engine)
    daemon = Daemon(s, engine, metrics=metrics)
    opened, failures = daemon.source.open, [1]

    def flaky_open() -> int | None:  # the first connection fails: one reconnect
        if failures:
            failures.pop()
            raise SourceError("connection refused (test)")
        return opened()

    monkeypatch.setattr(daemon.source, "open", flaky_open)
    assert daemon.run(once=True) == 0
    got = _samples(metrics)
    mailbox = daemon.source.name
    assert got[("triage_messages_fetched_total", (("mailbox", mailbox),))] == 2
    assert got[("triage_tickets_filed_total", (("request_type", "content_removal"),))] == 1
    assert got[("triage_acknowledgments_total", (("outcome", "sent"),))] == 1
    assert got[("triage_acknowledgments_total", (("outcome", "suppressed"),))] == 1
    assert got[("triage_imap_reconnects_total", (("mailbox", mailbox),))] == 1
    for step in ("archive", "parse", "classify", "file"):
        assert got[("triage_step_seconds_count", (("step", step),))] == 2, step
    assert got[("triage_step_seconds_count", (("step", "extract"),))] == 1  # the auto-reply gets no NLP
    assert len(smtp_server.messages) == 1
