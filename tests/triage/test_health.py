"""Healthcheck: database reachable, mailboxes polled recently, outbox not failing for long."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from store.db import make_engine, session_scope
from store.models import MailboxState, Outbox, utcnow
from triage.health import Watched, check_health, watched_mailboxes
from triage.settings import Settings, load_settings


def _state(engine: Engine, mailbox: str, ago: timedelta | None, folder: str = "INBOX") -> None:
    with session_scope(engine) as s:
        s.add(MailboxState(mailbox=mailbox, folder=folder, last_poll_at=None if ago is None else utcnow() - ago))


def test_never_polled_is_unhealthy(engine: Engine, settings: Settings) -> None:
    h = check_health(engine, settings)
    assert not h.ok and "never polled" in h.reason
    _state(engine, "le", None)
    h = check_health(engine, settings)
    assert not h.ok and "'le' never polled" in h.reason


def test_poll_within_three_intervals(engine: Engine, settings: Settings) -> None:
    assert settings.poll_seconds == 60
    _state(engine, "le", timedelta(seconds=170))
    assert check_health(engine, settings).ok
    _state(engine, "eu-rep", timedelta(seconds=190))
    h = check_health(engine, settings)
    assert not h.ok
    assert "'eu-rep' last polled 19" in h.reason and "limit 180s" in h.reason


def test_newest_folder_poll_counts_per_mailbox(engine: Engine, settings: Settings) -> None:
    _state(engine, "le", timedelta(hours=2), folder="Old")
    _state(engine, "le", timedelta(seconds=5), folder="INBOX")
    assert check_health(engine, settings).ok


def test_a_mailbox_removed_from_the_configuration_is_history(engine: Engine, settings: Settings) -> None:
    _state(engine, "gone", timedelta(hours=2))
    _state(engine, "le", timedelta(seconds=5))
    assert check_health(engine, settings, watched=[Watched("le", 60)]).ok
    h = check_health(engine, settings)  # without the watched list, every mailbox polled once counts
    assert not h.ok and "'gone' last polled" in h.reason


def test_a_watched_mailbox_without_polls_is_unhealthy(engine: Engine, settings: Settings) -> None:
    _state(engine, "other", timedelta(seconds=5))
    h = check_health(engine, settings, watched=[Watched("other", 60), Watched("le", 60)])
    assert not h.ok and h.reason == "mailbox 'le' never polled"


def test_each_mailbox_is_judged_by_its_own_poll_interval(engine: Engine, settings: Settings) -> None:
    _state(engine, "slow", timedelta(seconds=250))
    assert check_health(engine, settings, watched=[Watched("slow", 100)]).ok
    h = check_health(engine, settings, watched=[Watched("slow", 60)])
    assert not h.ok and "limit 180s" in h.reason


def test_watched_mailboxes_are_the_configured_ones(settings: Settings) -> None:
    assert [w.name for w in watched_mailboxes(settings)] == [f"{settings.imap_user}@{settings.imap_host}"]
    many = settings.model_copy(update={"source": "imap", "mailboxes": [
        {"name": "le", "imap_user": "a", "imap_password": "x"},
        {"name": "eu-rep", "imap_user": "b", "imap_password": "y"},
    ]})
    assert watched_mailboxes(many) == [Watched("le", settings.poll_seconds), Watched("eu-rep", settings.poll_seconds)]


def _outbox(engine: Engine, status: str, attempts: int, age: timedelta) -> None:
    with session_scope(engine) as s:
        s.add(Outbox(status=status, attempts=attempts, created_at=utcnow() - age))


def test_outbox_failing_too_long(engine: Engine, settings: Settings) -> None:
    _state(engine, "le", timedelta(seconds=1))
    assert settings.health_outbox_max_failing_minutes == 60
    _outbox(engine, "queued", 0, timedelta(hours=5))  # never tried yet: a backlog, not a failure
    _outbox(engine, "queued", 3, timedelta(minutes=30))  # failing, but not for long
    _outbox(engine, "sent", 2, timedelta(days=2))
    assert check_health(engine, settings).ok
    _outbox(engine, "queued", 4, timedelta(minutes=90))
    h = check_health(engine, settings)
    assert not h.ok and h.reason.startswith("outbox: 1 outgoing mail(s) failing for more than 60 min")


def test_failed_rows_count_and_zero_disables(engine: Engine, settings: Settings) -> None:
    _state(engine, "le", timedelta(seconds=1))
    _outbox(engine, "failed", 8, timedelta(hours=3))
    assert not check_health(engine, settings).ok
    relaxed = settings.model_copy(update={"health_outbox_max_failing_minutes": 0})
    assert check_health(engine, relaxed).ok


def test_unreachable_database(tmp_path: Path, settings: Settings) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/no-such-dir/x.db")
    h = check_health(engine, settings)
    assert not h.ok and h.reason.startswith("database unreachable: OperationalError")


@pytest.mark.postgres
def test_postgres_down_and_up(pg_url: str, settings: Settings) -> None:
    engine = make_engine(pg_url)
    try:
        _state(engine, "le", timedelta(seconds=3))
        assert check_health(engine, settings).ok
    finally:
        engine.dispose()
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    h = check_health(dead, settings)
    assert not h.ok and h.reason.startswith("database unreachable: OperationalError")


def _cli(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``triage healthcheck`` through the real entry point, configured by the environment."""
    from triage.cli import main

    for key in list(os.environ):
        if key.startswith("TRIAGE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TRIAGE_DATABASE_URL", db)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRIAGE_LOG_FORMAT", "text")
    code = main(["healthcheck"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_exit_codes_and_one_line(
    db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(f"sqlite:///{tmp_path}/absent.db", tmp_path, monkeypatch, capsys)
    expected = f"unhealthy: database unreachable: no SQLite database at {tmp_path}/absent.db"
    assert (code, err.strip().splitlines()) == (1, [expected])
    assert not (tmp_path / "absent.db").exists()
    code, _, err = _cli(db_url, tmp_path, monkeypatch, capsys)
    assert code == 1 and err.strip().splitlines() == [
        "unhealthy: mailbox never polled (no mailbox state in the database)"
    ]
    _state(engine, "gone", timedelta(days=30))  # a mailbox no longer configured: history, not a fault
    [watched] = watched_mailboxes(load_settings())  # the CLI's own settings (the environment set by _cli)
    assert _cli(db_url, tmp_path, monkeypatch, capsys)[:2] == (1, "")
    _state(engine, watched.name, timedelta(seconds=2))
    assert _cli(db_url, tmp_path, monkeypatch, capsys)[:2] == (0, "healthy\n")


def test_settings_field_documented() -> None:
    field = type(load_settings()).model_fields["health_outbox_max_failing_minutes"]
    assert field.description
