"""Retention purges archived raw mail of long-closed tickets, audits it, and touches nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.archive import Archive
from store.audit import verify_chain
from store.db import make_engine, session_scope
from store.models import AuditEvent, RawMessage, Ticket, TicketMessage, utcnow
from store.retention import purge_expired


@dataclass(frozen=True)
class Cfg:
    retention_days: int
    archive_dir: Path


def _ticket(session: Session, archive: Archive, ref: str, status: str, closed_days_ago: float | None) -> int:
    """A ticket with one raw mail linked directly and one threaded follow-up linked by its message."""
    now = utcnow()
    closed = None if closed_days_ago is None else now - timedelta(days=closed_days_ago)
    t = Ticket(reference=ref, status=status, closed_at=closed, subject=f"subject {ref}")
    session.add(t)
    session.flush()
    for n in range(2):
        raw = f"Subject: {ref} #{n}\r\n\r\nbody\r\n".encode()
        sha = archive.put(raw)
        row = RawMessage(sha256=sha, size=len(raw), ticket_id=t.id if n == 0 else None, state="filed")
        session.add(row)
        session.flush()
        session.add(TicketMessage(ticket_id=t.id, direction="inbound", raw_message_id=row.id, body_text="kept"))
    assert t.id is not None
    return t.id


@pytest.fixture
def cfg(tmp_path: Path) -> Cfg:
    return Cfg(retention_days=30, archive_dir=tmp_path / "archive")


def _populate(engine: Engine, cfg: Cfg) -> dict[str, int]:
    archive = Archive(cfg.archive_dir)
    with session_scope(engine) as s:
        return {
            "old_closed": _ticket(s, archive, "LE-2026-000001", "closed", 45),
            "old_rejected": _ticket(s, archive, "LE-2026-000002", "rejected", 31),
            "recent_closed": _ticket(s, archive, "LE-2026-000003", "closed", 10),
            "old_open": _ticket(s, archive, "LE-2026-000004", "in_review", None),
            "reopened": _ticket(s, archive, "LE-2026-000005", "in_review", None),
        }


def _raws(session: Session, ticket_id: int) -> list[RawMessage]:
    ids = select(TicketMessage.raw_message_id).where(TicketMessage.ticket_id == ticket_id)
    return list(session.exec(select(RawMessage).where(col(RawMessage.id).in_(ids))))


def _check(engine: Engine, cfg: Cfg) -> None:
    ids = _populate(engine, cfg)
    archive = Archive(cfg.archive_dir)
    now = utcnow()
    with session_scope(engine) as s:
        report = purge_expired(s, cfg, now)
    assert (report.tickets, report.raw_messages, report.errors) == (2, 4, [])
    with Session(engine) as s:
        for name, tid in ids.items():
            raws = _raws(s, tid)
            assert len(raws) == 2
            expired = name in ("old_closed", "old_rejected")
            for raw in raws:
                assert archive.exists(raw.sha256) is not expired, name
                assert (raw.purged_at is not None) is expired, name
            ticket = s.get(Ticket, tid)
            assert ticket is not None and ticket.subject.startswith("subject ")
        assert all(m.body_text == "kept" for m in s.exec(select(TicketMessage)))
        events = list(s.exec(select(AuditEvent).where(AuditEvent.action == "raw_mail_purged")))
        assert sorted(e.ticket_id for e in events) == sorted([ids["old_closed"], ids["old_rejected"]])
        assert all(len(e.detail["raw_message_ids"]) == 2 and e.detail["retention_days"] == 30 for e in events)
        assert verify_chain(s) == []
    with session_scope(engine) as s:
        again = purge_expired(s, cfg, now + timedelta(minutes=5))
    assert (again.tickets, again.raw_messages) == (0, 0), "a second run finds nothing left"


def test_purge_sqlite(engine: Engine, cfg: Cfg) -> None:
    _check(engine, cfg)


@pytest.mark.postgres
def test_purge_postgres(pg_url: str, cfg: Cfg) -> None:
    engine = make_engine(pg_url)
    try:
        _check(engine, cfg)
    finally:
        engine.dispose()


def test_disabled_and_dry_run_change_nothing(engine: Engine, cfg: Cfg) -> None:
    ids = _populate(engine, cfg)
    for settings, dry in ((Cfg(0, cfg.archive_dir), False), (cfg, True)):
        with session_scope(engine) as s:
            report = purge_expired(s, settings, utcnow(), dry_run=dry)
        assert report.raw_messages == (4 if dry else 0)
    with Session(engine) as s:
        assert all(r.purged_at is None for r in s.exec(select(RawMessage)))
        assert all(Archive(cfg.archive_dir).exists(r.sha256) for r in _raws(s, ids["old_closed"]))
        assert not list(s.exec(select(AuditEvent)))


def test_boundary_is_exactly_retention_days(engine: Engine, cfg: Cfg) -> None:
    archive = Archive(cfg.archive_dir)
    now: datetime = utcnow()
    with session_scope(engine) as s:
        tid = _ticket(s, archive, "LE-2026-000009", "closed", None)
        ticket = s.get(Ticket, tid)
        assert ticket is not None
        ticket.closed_at = now - timedelta(days=30) + timedelta(seconds=1)
        s.add(ticket)
    with session_scope(engine) as s:
        assert purge_expired(s, cfg, now).tickets == 0
    with session_scope(engine) as s:
        assert purge_expired(s, cfg, now + timedelta(seconds=2)).tickets == 1


def test_cli_purge(
    db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from triage.cli import main

    cfg = Cfg(30, tmp_path / "data" / "archive")
    _populate(engine, cfg)
    for key in list(__import__("os").environ):
        if key.startswith("TRIAGE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TRIAGE_DATABASE_URL", db_url)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRIAGE_RETENTION_DAYS", "30")
    monkeypatch.setenv("TRIAGE_LOG_FORMAT", "text")
    assert main(["retention", "purge", "--dry-run"]) == 0
    assert "would purge 4 raw mail(s) of 2 ticket(s)" in capsys.readouterr().out
    assert main(["retention", "purge"]) == 0
    assert "purged 4 raw mail(s) of 2 ticket(s) closed more than 30 days ago" in capsys.readouterr().out
