"""One leader per mailbox among replicas: who may fetch, file and acknowledge.

PostgreSQL: a session-level advisory lock held on a dedicated connection; the server drops
it the moment the leader's connection dies (process killed, host gone), so a follower that
retries every ``leader_retry_seconds`` takes over within seconds. SQLite: an OS file lock
next to the database file, released by the kernel when the holder dies.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from triage.settings import Settings

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a mailbox name."""
    digest = hashlib.sha256(f"le-triage/leader/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file_path(settings: Settings, name: str) -> Path:
    """Next to the SQLite file (all replicas share it), else in data_dir."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "default"
    db = make_url(settings.database_url).database
    if db and db != ":memory:":
        return Path(f"{db}.leader-{safe}.lock")
    return settings.data_dir / f"leader-{safe}.lock"


class LeaderElector:
    """Leadership of one mailbox; ``try_acquire`` never blocks, ``check`` confirms it still holds."""

    def __init__(self, settings: Settings, name: str = "default") -> None:
        self.settings = settings
        self.name = name
        self._postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._file_lock: FileLock | None = None
        self._leader = False

    @property
    def is_leader(self) -> bool:
        return self._leader

    def try_acquire(self) -> bool:
        """Take leadership if nobody holds it; True when this process is (now) the leader."""
        if self._leader:
            return True
        try:
            self._leader = self._acquire_pg() if self._postgres else self._acquire_file()
        except Exception as exc:  # database down: stay a follower and retry later
            log.warning("leader %s: cannot try the lock: %s", self.name, type(exc).__name__)
            self._drop_connection()
            self._leader = False
        if self._leader:
            log.info("leader %s: acquired", self.name, extra={"mailbox": self.name})
        return self._leader

    def check(self) -> bool:
        """Is leadership still held? On PostgreSQL a lost connection means it was lost."""
        if not self._leader:
            return False
        if self._postgres:
            try:
                assert self._conn is not None
                held = self._conn.execute(
                    text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
                ).scalar()
            except Exception:
                held = 0
            if not held:
                log.error("leader %s: lost the advisory lock (database connection gone)", self.name)
                self._drop_connection()
                self._leader = False
        return self._leader

    def wait(self, stop: threading.Event) -> bool:
        """Block as a follower until leadership is taken (True) or ``stop`` is set (False)."""
        while not stop.is_set():
            if self.try_acquire():
                return True
            stop.wait(self.settings.leader_retry_seconds)
        return False

    def release(self) -> None:
        """Give leadership up (clean shutdown) so a follower takes over at once."""
        if self._postgres and self._conn is not None and self._leader:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(self.name)})
            except Exception as exc:  # the connection close below releases it anyway
                log.warning("leader %s: unlock failed: %s", self.name, type(exc).__name__)
        self._drop_connection()
        if self._file_lock is not None and self._file_lock.is_locked:
            self._file_lock.release()
        if self._leader:
            log.info("leader %s: released", self.name, extra={"mailbox": self.name})
        self._leader = False

    def __enter__(self) -> LeaderElector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _acquire_pg(self) -> bool:
        if self._conn is None:
            self._engine = create_engine(
                self.settings.database_url, poolclass=NullPool, connect_args={"connect_timeout": 5}
            )
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(self.name)}).scalar()
        if not got:
            self._drop_connection()  # followers hold no idle connection between attempts
        return bool(got)

    def _acquire_file(self) -> bool:
        if self._file_lock is None:
            path = lock_file_path(self.settings, self.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file_lock = FileLock(path, timeout=0)
        try:
            self._file_lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing left to release
                self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
