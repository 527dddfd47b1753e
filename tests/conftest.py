"""Shared fixtures. Real servers (Dovecot, SMTP, PostgreSQL) live in tests/servers/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from store.db import make_engine
from store.migrate import upgrade
from triage.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytest_plugins = [
    "tests.servers.postgres",
    "tests.servers.dovecot",
    "tests.servers.smtp",
]


TEST_DATABASE = os.environ.get("TRIAGE_TEST_DATABASE", "sqlite")


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite by default; PostgreSQL with TRIAGE_TEST_DATABASE=postgres.

    `make test` runs the suite on SQLite, then the database-facing tests again on PostgreSQL.
    """
    if TEST_DATABASE == "postgres":
        from tests.servers.postgres import create_database, drop_database, server_available

        reason = server_available()
        if reason is not None:
            pytest.skip(f"TRIAGE_TEST_DATABASE=postgres but no PostgreSQL server answers: {reason}")
        name, url = create_database()
        try:
            upgrade(url)
            yield url
        finally:
            drop_database(name)
        return
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    upgrade(url)
    yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in list(os.environ):
        if key.startswith("TRIAGE_"):
            monkeypatch.delenv(key)
    # extraction in-process: one Daemon per test would otherwise start a worker process loading the models
    return load_settings(database_url=db_url, data_dir=tmp_path / "data", secret_key="test-secret", extract_workers=0)
