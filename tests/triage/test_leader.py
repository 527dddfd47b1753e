"""Leader election: real processes contend; SIGKILL the leader; a follower takes over in seconds."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.leader import LeaderElector, lock_key
from triage.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TAKEOVER_LIMIT_SECONDS = 5.0

# The child runs the same loop a daemon would: wait to lead, then keep confirming it leads.
CHILD = """
import sys, threading, time
from triage.leader import LeaderElector
from triage.settings import load_settings
settings = load_settings(database_url=sys.argv[1], data_dir=sys.argv[2], leader_retry_seconds=0.2)
elector = LeaderElector(settings, "lawenforcement")
print("FOLLOWER" if not elector.try_acquire() else "", flush=True)
elector.wait(threading.Event())
print("LEADER", flush=True)
while elector.check():
    time.sleep(0.2)
print("LOST", flush=True)
"""


class Child:
    """A contender process whose stdout lines are read by a thread."""

    def __init__(self, url: str, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(data_dir)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self.lines.put(line.strip())

    def expect(self, word: str, timeout: float) -> float:
        """Seconds until ``word`` arrives; fails after ``timeout``."""
        start = time.monotonic()
        while True:
            left = timeout - (time.monotonic() - start)
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                pytest.fail(f"no {word} within {timeout}s")
            if line == word:
                return time.monotonic() - start

    def quiet_for(self, seconds: float) -> list[str]:
        time.sleep(seconds)
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return out

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for c in started:
        c.kill()


def _contend(url: str, data_dir: Path, children: list[Child]) -> None:
    a = Child(url, data_dir)
    children.append(a)
    a.expect("LEADER", timeout=30)
    b, c = Child(url, data_dir), Child(url, data_dir)
    children.extend([b, c])
    b.expect("FOLLOWER", timeout=30)
    c.expect("FOLLOWER", timeout=30)
    assert "LEADER" not in b.quiet_for(1.0) + c.quiet_for(0.0)

    a.kill()
    took = {}
    deadline = time.monotonic() + TAKEOVER_LIMIT_SECONDS
    while not took and time.monotonic() < deadline:
        for name, child in (("b", b), ("c", c)):
            while not child.lines.empty():
                if child.lines.get() == "LEADER":
                    took[name] = time.monotonic()
        time.sleep(0.05)
    assert len(took) == 1, f"exactly one follower must take over within {TAKEOVER_LIMIT_SECONDS}s, got {took}"
    other = c if "b" in took else b
    assert "LEADER" not in other.quiet_for(1.0), "two leaders at once"


def test_sqlite_file_lock_takeover(tmp_path: Path, children: list[Child]) -> None:
    _contend(f"sqlite:///{tmp_path}/triage.db", tmp_path / "data", children)


@pytest.mark.postgres
def test_postgres_advisory_lock_takeover(pg_url: str, tmp_path: Path, children: list[Child]) -> None:
    _contend(pg_url, tmp_path / "data", children)


def _electors(settings: Settings) -> None:
    a, b = LeaderElector(settings, "le"), LeaderElector(settings, "le")
    other = LeaderElector(settings, "eu-rep")
    try:
        assert a.try_acquire() and a.is_leader and a.check()
        assert not b.try_acquire() and not b.is_leader and not b.check()
        assert other.try_acquire(), "each mailbox has its own leader"
        a.release()
        assert not a.is_leader
        assert b.try_acquire(), "a clean release hands over at once"
    finally:
        for e in (a, b, other):
            e.release()


def test_in_process_sqlite(settings: Settings) -> None:
    _electors(settings)


@pytest.mark.postgres
def test_in_process_postgres(pg_url: str, settings: Settings) -> None:
    _electors(settings.model_copy(update={"database_url": pg_url}))


@pytest.mark.postgres
def test_postgres_lost_connection_is_noticed(pg_url: str, settings: Settings) -> None:
    import psycopg

    elector = LeaderElector(settings.model_copy(update={"database_url": pg_url}), "le")
    try:
        assert elector.try_acquire()
        dbname = pg_url.rsplit("/", 1)[1]
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks JOIN pg_stat_activity USING (pid) "
                "WHERE locktype = 'advisory' AND datname = %s",
                (dbname,),
            )
        assert not elector.check() and not elector.is_leader
    finally:
        elector.release()


def test_lock_key_is_stable_and_distinct() -> None:
    assert lock_key("le") == lock_key("le") != lock_key("eu-rep")
    assert -(2**63) <= lock_key("le") < 2**63
