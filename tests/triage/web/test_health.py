"""Probes and metrics of the web process: /readyz says why it is not ready; /metrics has counts only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.engine import Engine

from store.db import make_engine
from store.migrate import current_heads
from tests.triage.web.seed import load_specs
from triage.settings import Settings
from triage.web.app import create_app


def test_ready_when_migrated(anon: TestClient) -> None:
    resp = anon.get("/readyz")
    assert resp.status_code == 200 and resp.text == "ready\n"


def test_not_ready_at_another_revision(anon: TestClient, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_old'"))
    resp = anon.get("/readyz")
    head = current_heads("sqlite://")[0]
    assert resp.status_code == 503
    assert resp.text == f"not ready: database at revision 0000_old, code expects {head}\n"
    assert anon.get("/healthz").status_code == 200  # alive all the same: a restart would not help


def test_not_ready_without_database(settings: Settings, tmp_path: Path) -> None:
    missing = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'triage.db'}")
    with TestClient(create_app(settings, missing)) as client:
        resp = client.get("/readyz")
        assert resp.status_code == 503 and resp.text.startswith("not ready: database unreachable")
        assert client.get("/healthz").status_code == 503
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(settings, empty)) as client:
        assert client.get("/readyz").text == "not ready: database has no migration table (run triage db upgrade)\n"


def test_metrics_counts_without_content(anon: TestClient, review: dict[str, int]) -> None:
    resp = anon.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == CONTENT_TYPE_LATEST
    body = resp.text
    assert "triage_database_up 1.0" in body
    assert 'triage_tickets{request_type="data_disclosure"}' in body
    words = {"met-po1ice", "r.hale", "victim_account", "+447700900123", "Undelivered", "Metropolitan"}
    for spec in load_specs():
        words |= {spec["subject"], spec["sender_address"], spec.get("agency") or "", *(spec.get("targets") or [])}
    leaked = {w for w in words if w and w in body}
    assert not leaked


def test_metrics_can_be_switched_off(settings: Settings, engine: Engine) -> None:
    off = settings.model_copy(update={"web_metrics": False})
    with TestClient(create_app(off, engine)) as client:
        assert client.get("/metrics").status_code == 404
