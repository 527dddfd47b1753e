"""``triage serve`` as a process: migrates, listens on TRIAGE_WEB_PORT, answers /healthz, guards pages."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_triage_serve(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(
        TRIAGE_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        TRIAGE_DATA_DIR=str(tmp_path / "data"),
        TRIAGE_WEB_HOST="127.0.0.1",
        TRIAGE_WEB_PORT=str(port),
        TRIAGE_SECRET_KEY="serve-test",
    )
    proc = subprocess.Popen([sys.executable, "-m", "triage", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                resp = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "exited"
                assert time.monotonic() < deadline, "triage serve did not start"
                time.sleep(0.2)
        assert resp.json() == {"status": "ok"}
        page = httpx.get(base + "/", follow_redirects=False, timeout=5)
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert "script-src 'self'" in httpx.get(base + "/login", timeout=5).headers["content-security-policy"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
