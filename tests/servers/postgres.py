"""PostgreSQL test support: a throwaway, migrated database per test on the local server.

The server (127.0.0.1:5432, user postgres, trust auth) is shared by everyone on the
machine, so each test gets its own ``triage_t_<random>`` database and drops it after.
Tests of ``db_url`` get a copy of a template migrated once per session (CREATE DATABASE
... TEMPLATE, made ahead); ``pg_url``/``pg_url_empty`` stay fresh, for the tests of the migrations.
Tests skip with one clear line only when no server answers.
"""

from __future__ import annotations

import collections
import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import psycopg

ADMIN_DSN = os.environ.get("TRIAGE_TEST_PG_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def _server() -> tuple[str, str]:
    """(user, host:port) of the admin DSN, for the URLs of the throwaway databases."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(ADMIN_DSN)
    return str(info.get("user", "postgres")), f"{info.get('host', '127.0.0.1')}:{info.get('port', '5432')}"


def _admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=3)


def server_available() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        with _admin_connect() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "no usable server"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return None


def create_database(template: str | None = None) -> tuple[str, str]:
    """Create an empty database, or a copy of ``template``; returns (name, SQLAlchemy URL)."""
    name = f"triage_t_{secrets.token_hex(6)}"
    sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    with _admin_connect() as conn:
        _execute_while_template_busy(conn, sql)
    user, server = _server()
    return name, f"postgresql+psycopg://{user}@{server}/{name}"


def _execute_while_template_busy(conn: psycopg.Connection[Any], sql: str, deadline_s: float = 10.0) -> None:
    """Run ``sql``, retrying while the template still has a session: a closed client's
    backend exits asynchronously, so the server can see it for a few milliseconds more."""
    import psycopg.errors

    give_up = time.monotonic() + deadline_s
    while True:
        try:
            conn.execute(sql)
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.01)


def drop_database(name: str) -> None:
    """Drop ``name`` even if a killed test process left connections behind."""
    with _admin_connect() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


class TemplateCopies:
    """Copies of a migrated template, made ``ahead`` by worker threads while the tests run.

    CREATE DATABASE ... TEMPLATE writes the whole database (system catalogs included) through
    the WAL: 0.1-0.3 s of server I/O per test, which here overlaps the tests before instead of
    adding to it (two at a time keep up with runs of short tests better than one). Each copy goes
    to one test, which drops it; the spares left at the end are dropped.
    """

    def __init__(self, template: str, ahead: int = 2) -> None:
        self.template = template
        self._worker = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="pg-template-copies")
        self._spares: collections.deque[Future[tuple[str, str]]] = collections.deque()
        self.ahead = ahead

    def take(self) -> tuple[str, str]:
        """(name, URL) of a fresh copy, for the caller to drop."""
        while len(self._spares) < self.ahead + 1:
            self._spares.append(self._worker.submit(create_database, self.template))
        return self._spares.popleft().result()

    def close(self) -> None:
        for spare in self._spares:
            with contextlib.suppress(Exception):  # a copy that failed to be made needs no drop
                drop_database(spare.result()[0])
        self._worker.shutdown()


@pytest.fixture(scope="session")
def pg_template_copies() -> Iterator[TemplateCopies]:
    """Copies of a database migrated once (by Alembic, as always) for this session; all dropped at its end.

    Nothing stays connected to the template: PostgreSQL copies a database only while it has no sessions.
    """
    from store.migrate import upgrade

    name, url = create_database()
    copies = TemplateCopies(name)
    try:
        upgrade(url)  # its engine uses NullPool and is disposed: no connection is left open
        yield copies
    finally:
        copies.close()
        drop_database(name)


@pytest.fixture
def pg_url_empty() -> Iterator[str]:
    """URL of a fresh, empty (unmigrated) PostgreSQL database, dropped after the test."""
    reason = server_available()
    if reason:
        pytest.skip(f"PostgreSQL not reachable at {_server()[1]} ({reason}); PostgreSQL half skipped")
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


@pytest.fixture
def pg_url(pg_url_empty: str) -> str:
    """URL of a fresh PostgreSQL database migrated to head, dropped after the test."""
    from store.migrate import upgrade

    upgrade(pg_url_empty)
    return pg_url_empty
