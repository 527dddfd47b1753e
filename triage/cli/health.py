"""``triage healthcheck``: exit 0 when healthy, else 1 with one line saying why (container HEALTHCHECK)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from triage.health import check_health, watched_mailboxes
from triage.mailboxes import MailboxError
from triage.settings import Settings

CONNECT_TIMEOUT_SECONDS = 5


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("healthcheck", help="exit non-zero (one line why) when the deployment is unhealthy")
    p.set_defaults(func=cmd_healthcheck)


def health_engine(url: str) -> Engine | str:
    """A short-timeout engine, or why none can be made (a missing SQLite file is not created)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database or ""
        if db and db != ":memory:" and not Path(db).is_file():
            return f"database unreachable: no SQLite database at {db}"
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS})
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


def cmd_healthcheck(args: argparse.Namespace, settings: Settings) -> int:
    try:
        engine = health_engine(settings.database_url)
    except Exception as exc:  # a malformed URL is an unhealthy deployment, not a traceback
        print(f"unhealthy: bad database URL ({type(exc).__name__})", file=sys.stderr)
        return 1
    if isinstance(engine, str):
        print(f"unhealthy: {engine}", file=sys.stderr)
        return 1
    try:
        watched = watched_mailboxes(settings)
    except MailboxError as exc:
        engine.dispose()
        print(f"unhealthy: configuration: {exc}", file=sys.stderr)
        return 1
    try:
        result = check_health(engine, settings, watched=watched)
    finally:
        engine.dispose()
    if result.ok:
        print("healthy")
        return 0
    print(f"unhealthy: {result.reason}", file=sys.stderr)
    return 1
