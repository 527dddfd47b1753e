"""Shared fixtures. Real servers (Dovecot, SMTP, PostgreSQL) live in tests/servers/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from store.db import make_engine
from store.migrate import upgrade
from triage.settings import Settings, load_settings

pytest_plugins = ["tests.servers.smtp"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytest_plugins = [
    "tests.servers.postgres",
    "tests.servers.dovecot",
    "tests.servers.smtp",
]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in list(__import__("os").environ):
        if key.startswith("TRIAGE_"):
            monkeypatch.delenv(key)
    return load_settings(database_url=db_url, data_dir=tmp_path / "data", secret_key="test-secret")
