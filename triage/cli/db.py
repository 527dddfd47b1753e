"""``triage db upgrade``: apply the Alembic migrations."""

from __future__ import annotations

import argparse

from store.migrate import upgrade
from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema")
    dsub = p.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="apply migrations up to head")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_upgrade)


def cmd_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0
