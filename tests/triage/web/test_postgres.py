"""The review UI on PostgreSQL: queue search, corrections, audit search and reports use SQL
(ILIKE, JSON casts, aggregates) that SQLite alone would not prove."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from store.db import make_engine
from tests.triage.web.conftest import csrf_of, login
from tests.triage.web.seed import seed
from triage.settings import load_settings
from triage.web.app import create_app


@pytest.mark.postgres
def test_review_ui_on_postgres(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    try:
        ids = seed(engine, tmp_path / "data" / "archive")
        settings = load_settings(database_url=pg_url, data_dir=tmp_path / "data", secret_key="pg")
        with TestClient(create_app(settings, engine), follow_redirects=False) as client:
            login(client, "adam")
            token = csrf_of(client.get("/").text)
            refs = re.findall(r'class="ref">([^<]+)<', client.get("/?q=PASSAGE").text)
            assert len(refs) == 1
            assert len(re.findall(r'class="ref">', client.get("/?verified=no&country=GB").text)) == 1
            tid = ids["unverified_de"]
            data = {"value": "Landeskriminalamt Bayern", "csrf_token": token}
            assert client.post(f"/tickets/{tid}/fields/agency", data=data).status_code == 303
            assert "Landeskriminalamt Bayern" in client.get("/audit?q=landeskriminalamt+bayern").text
            assert "The audit chain is intact." in client.get("/audit?verify=1").text
            lines = client.get("/reports/weekly.csv?by=country").text.strip().splitlines()
            assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 8
            assert client.get("/reports/medians.csv").text.splitlines()[1] == "time to acknowledge,0.33,3"
    finally:
        engine.dispose()
