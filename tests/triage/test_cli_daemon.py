"""``triage demo``, ``tickets``, ``show``, ``reprocess`` and SIGTERM of ``triage run``, as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import mail
from triage.cli import main

KEYS = {"reference", "status", "received_at", "request_type", "agency", "country", "emergency", "deadline",
        "sender_verified", "message_ids", "acknowledgment"}


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in list(os.environ):
        if key.startswith("TRIAGE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TRIAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRIAGE_USE_SPACY", "false")
    monkeypatch.setenv("TRIAGE_SECRET_KEY", "demo-test-secret")
    return tmp_path


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_demo_then_tickets_show_reprocess(demo_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-serve"]) == 0
    table = capsys.readouterr().out
    assert "LE-" in table and "acknowledgments written to" in table
    assert main(["tickets", "--json"]) == 0
    records = _json_lines(capsys.readouterr().out)
    assert len(records) == 11  # twelve mails, one follow-up threaded into its ticket
    assert all(set(r) >= KEYS for r in records)
    followed = [r for r in records if len(r["message_ids"]) == 2]
    assert len(followed) == 1
    assert followed[0]["message_ids"] == ["<20261123150158.7731@harlowcounty-so.example>",
                                          "<20261125171533.1204@harlowcounty-so.example>"]
    classes = {r["mail_class"] for r in records}
    assert {"human", "auto_reply", "list"} <= classes
    auto = next(r for r in records if r["mail_class"] == "auto_reply")
    assert auto["acknowledgment"]["status"] == "suppressed" and auto["acknowledgment"]["reason"]
    sent = [r for r in records if r["acknowledgment"] and r["acknowledgment"]["status"] == "sent"]
    assert len(list((demo_env / "data" / "outbox").glob("*.eml"))) == len(sent) > 0
    # a second demo run files nothing twice
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    assert main(["tickets", "--json", "--status", "new"]) == 0
    assert len(_json_lines(capsys.readouterr().out)) == 11
    ref = followed[0]["reference"]
    assert main(["show", ref, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [m["direction"] for m in shown["messages"]].count("inbound") == 2
    assert any(o["status"] == "sent" for o in shown["outbox"])
    assert main(["reprocess", ref]) == 0
    assert "re-extracted 2 message(s)" in capsys.readouterr().out
    assert main(["show", "LE-1999-000001"]) == 1


def test_sigterm_finishes_the_message_in_hand(
    tmp_path: Path, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    dovecot.append(*[mail(subject=f"Request {i}", sender=f"o{i}@police{i}.example") for i in range(30)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")} | dovecot.env() | {
        "TRIAGE_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}", "TRIAGE_DATA_DIR": str(tmp_path / "data"),
        "TRIAGE_SMTP_HOST": smtp_server.host, "TRIAGE_SMTP_PORT": str(smtp_server.port),
        "TRIAGE_USE_SPACY": "false", "TRIAGE_ACK_UNVERIFIED": "true", "TRIAGE_SECRET_KEY": "sigterm-secret",
    }
    proc = subprocess.Popen([sys.executable, "-m", "triage", "run"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    db = tmp_path / "t.db"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                if conn.execute("SELECT count(*) FROM ticket").fetchone()[0] >= 3:
                    break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM raw_message GROUP BY state").fetchall())
        tickets = conn.execute("SELECT count(*) FROM ticket").fetchone()[0]
    assert set(states) == {"done"}, states  # nothing left half-way
    assert tickets == states["done"] == 30 - dovecot.count("INBOX")


def test_demo_login_opens_the_review_ui(demo_env: Path) -> None:
    from fastapi.testclient import TestClient

    from store.db import make_engine
    from triage.cli.demo import demo_login
    from triage.settings import load_settings
    from triage.web.app import create_app

    assert main(["demo", "--no-serve"]) == 0
    settings = load_settings()
    name, first = demo_login(settings)
    name, password = demo_login(settings)  # a restart issues a new password; the old one stops working
    assert password != first
    engine = make_engine(settings.database_url)
    try:
        client = TestClient(create_app(settings, engine))
        def csrf() -> str:
            return client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

        refused = client.post("/login", data={"username": name, "password": first, "csrf_token": csrf()})
        assert "LE-" not in refused.text
        ok = client.post("/login", data={"username": name, "password": password, "csrf_token": csrf()})
        assert ok.status_code == 200 and "LE-2026-" in ok.text
    finally:
        engine.dispose()
