"""Shared fixtures. Real servers (Dovecot, SMTP, PostgreSQL) live in tests/servers/."""

from __future__ import annotations

import os
import sqlite3
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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session; each test's ``db_url`` is a copy of it."""
    path = tmp_path_factory.mktemp("db-template") / "triage.db"
    upgrade(f"sqlite:///{path}")
    return path


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy through SQLite's backup API: a consistent copy even if the source had a WAL pending."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite by default; PostgreSQL with TRIAGE_TEST_DATABASE=postgres.

    `make test` runs the suite on SQLite, then the database-facing tests again on PostgreSQL.
    Each is a copy of a template that Alembic migrated once per session (migrating per test cost
    0.1-0.2 s each); the tests of the migrations themselves use fresh databases (pg_url, tmp_path).
    """
    if TEST_DATABASE == "postgres":
        from tests.servers.postgres import drop_database, server_available

        reason = server_available()
        if reason is not None:
            pytest.skip(f"TRIAGE_TEST_DATABASE=postgres but no PostgreSQL server answers: {reason}")
        name, url = request.getfixturevalue("pg_template_copies").take()
        try:
            yield url
        finally:
            drop_database(name)
        return
    path = tmp_path / "triage.db"
    copy_sqlite(request.getfixturevalue("sqlite_template"), path)
    yield f"sqlite:///{path}"


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
