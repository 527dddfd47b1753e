"""Fixtures of the review-UI tests: a seeded database, the app, logged-in clients."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from store.db import make_engine
from store.migrate import upgrade
from tests.triage.web.seed import PASSWORDS, seed, seed_review_tickets
from triage.settings import Settings
from triage.web.app import create_app

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """Migrate and seed once per run; each test gets its own copy (argon2 and Alembic are slow)."""
    root = tmp_path_factory.mktemp("web-seed")
    url = f"sqlite:///{root / 'triage.db'}"
    upgrade(url)
    engine = make_engine(url)
    ids = seed(engine, root / "data" / "archive")
    engine.dispose()
    return root, ids


@pytest.fixture
def db_url(tmp_path: Path, seeded_template: tuple[Path, dict[str, int]]) -> str:
    root, _ = seeded_template
    shutil.copyfile(root / "triage.db", tmp_path / "triage.db")
    shutil.copytree(root / "data", tmp_path / "data")
    return f"sqlite:///{tmp_path / 'triage.db'}"


@pytest.fixture
def seeded(seeded_template: tuple[Path, dict[str, int]]) -> dict[str, int]:
    return seeded_template[1]


@pytest.fixture
def review(engine: Engine, seeded: dict[str, int]) -> dict[str, int]:
    """Extra tickets for the review-integration tests, in this test's own database copy."""
    return seed_review_tickets(engine)


@pytest.fixture
def app(settings: Settings, engine: Engine, seeded: dict[str, int]) -> FastAPI:
    return create_app(settings, engine)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client: TestClient, name: str, password: str | None = None) -> str:
    """Log in through the form; returns the CSRF token of the new session."""
    form = client.get("/login")
    resp = client.post(
        "/login", data={"username": name, "password": password or PASSWORDS[name], "csrf_token": csrf_of(form.text)}
    )
    assert resp.status_code == 303, resp.text
    return csrf_of(client.get("/").text)


@pytest.fixture
def reviewer(app: FastAPI) -> Iterator[tuple[TestClient, str]]:
    with TestClient(app, follow_redirects=False) as client:
        yield client, login(client, "rita")


@pytest.fixture
def admin(app: FastAPI) -> Iterator[tuple[TestClient, str]]:
    with TestClient(app, follow_redirects=False) as client:
        yield client, login(client, "adam")
