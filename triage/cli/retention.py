"""``triage retention purge [--dry-run]``: delete raw mail of tickets closed longer than TRIAGE_RETENTION_DAYS."""

from __future__ import annotations

import argparse
import sys

from store.db import make_engine, session_scope
from store.models import utcnow
from store.retention import purge_expired
from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("retention", help="raw-mail retention")
    rsub = p.add_subparsers(dest="retention_command", required=True)
    purge = rsub.add_parser("purge", help="purge raw mail of tickets closed longer than TRIAGE_RETENTION_DAYS")
    purge.add_argument("--dry-run", action="store_true", help="count what would be purged, change nothing")
    purge.set_defaults(func=cmd_purge)


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    if settings.retention_days <= 0:
        print("retention disabled (TRIAGE_RETENTION_DAYS=0): nothing purged")
        return 0
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            report = purge_expired(session, settings, utcnow(), dry_run=args.dry_run)
    finally:
        engine.dispose()
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {report.raw_messages} raw mail(s) of {report.tickets} ticket(s) "
        f"closed more than {settings.retention_days} days ago"
    )
    for err in report.errors:
        print(f"error: {err}", file=sys.stderr)
    return 1 if report.errors else 0
