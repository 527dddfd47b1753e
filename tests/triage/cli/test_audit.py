"""``triage audit verify`` detects edited and deleted audit events and altered or missing raw mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from store.archive import Archive
from store.audit import record
from store.db import make_engine
from store.models import RawMessage, utcnow
from triage.cli import main


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Archive]:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", db_url)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRIAGE_LOG_FORMAT", "text")
    archive = Archive(tmp_path / "data" / "archive")
    engine = make_engine(db_url)
    with Session(engine) as s:
        for i in range(4):
            record(s, "ticket_created", actor="system", new=i)
        for body in (b"Subject: one\r\n\r\nfirst", b"Subject: two\r\n\r\nsecond", b"Subject: three\r\n\r\nthird"):
            sha = archive.put(body)
            s.add(RawMessage(sha256=sha, size=len(body)))
        s.commit()
    engine.dispose()
    return db_url, archive


def run_sql(db_url: str, sql: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def verify(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_intact_record_passes(env: tuple[str, Archive], capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(capsys) == (0, "ok: 4 audit events, 3 archived messages verified\n")


def test_edited_and_deleted_events_fail(env: tuple[str, Archive], capsys: pytest.CaptureFixture[str]) -> None:
    db_url, _ = env
    run_sql(db_url, "UPDATE audit_event SET actor = 'mallory' WHERE id = 2")
    code, out = verify(capsys, "--no-archive")
    assert code == 1 and "audit event 2: event content altered" in out
    run_sql(db_url, "UPDATE audit_event SET actor = 'system' WHERE id = 2")
    assert verify(capsys, "--no-archive")[0] == 0
    run_sql(db_url, "DELETE FROM audit_event WHERE id = 3")
    code, out = verify(capsys, "--no-archive")
    assert code == 1 and "audit event 4: previous event missing or altered" in out


def test_altered_and_missing_raw_mail_fail(env: tuple[str, Archive], capsys: pytest.CaptureFixture[str]) -> None:
    db_url, archive = env
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as s:
        rows = list(s.exec(select(RawMessage).order_by(col(RawMessage.id))))
        first, second, third = rows
        archive.path_for(first.sha256).write_bytes(b"Subject: one\r\n\r\nforged")
        archive.path_for(second.sha256).unlink()
        third.purged_at = utcnow()  # purged by retention: not expected on disk any more
        archive.path_for(third.sha256).unlink()
        s.add(third)
        s.commit()
    engine.dispose()
    code, out = verify(capsys)
    assert code == 1
    assert f"raw message {first.id}: archived message {first.sha256} is corrupt" in out
    assert f"raw message {second.id}: archived message {second.sha256} is missing" in out
    assert f"raw message {third.id}" not in out
    assert "2 problems in 4 audit events, 2 archived messages" in out
