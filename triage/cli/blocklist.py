"""``triage blocklist add|remove|list|check``: blocked or known-compromised senders."""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy.engine import Engine

from store.blocklist import BlocklistError, add, blocked_reason, list_blocks, remove
from store.db import make_engine, session_scope
from store.migrate import upgrade
from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("blocklist", help="blocked or known-compromised sender addresses and domains")
    bsub = p.add_subparsers(dest="blocklist_command", required=True)
    a = bsub.add_parser("add", help="block an address (a@b.example) or a domain with its subdomains (b.example)")
    a.add_argument("pattern")
    a.add_argument("--reason", default="", help="why, shown to reviewers on every matching ticket")
    a.add_argument("--by", default="cli", help="who decided (recorded in the audit chain)")
    a.set_defaults(func=cmd_add)
    r = bsub.add_parser("remove", help="unblock an address or domain")
    r.add_argument("pattern")
    r.add_argument("--by", default="cli", help="who decided (recorded in the audit chain)")
    r.set_defaults(func=cmd_remove)
    ls = bsub.add_parser("list", help="every blocked pattern")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=cmd_list)
    c = bsub.add_parser("check", help="is this sender address blocked? (exit 1 when it is)")
    c.add_argument("address")
    c.set_defaults(func=cmd_check)


def _engine(settings: Settings) -> Engine:
    if settings.auto_migrate:
        upgrade(settings.database_url)
    return make_engine(settings.database_url)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    try:
        with session_scope(engine) as session:
            block = add(session, args.pattern, args.reason, actor=args.by)
            print(f"blocked {block.pattern}")
    except BlocklistError as exc:
        print(f"triage: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    try:
        with session_scope(engine) as session:
            removed = remove(session, args.pattern, actor=args.by)
    except BlocklistError as exc:
        print(f"triage: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"unblocked {args.pattern}" if removed else f"{args.pattern} was not blocked")
    return 0 if removed else 1


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    try:
        with session_scope(engine) as session:
            for b in list_blocks(session):
                if args.json:
                    row = {"pattern": b.pattern, "reason": b.reason, "by": b.created_by, "at": b.created_at.isoformat()}
                    print(json.dumps(row, ensure_ascii=False))
                else:
                    print(f"{b.pattern}\t{b.created_at:%Y-%m-%d}\t{b.created_by}\t{b.reason}")
    finally:
        engine.dispose()
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    try:
        with session_scope(engine) as session:
            reason = blocked_reason(session, args.address)
    finally:
        engine.dispose()
    print(reason or f"{args.address} is not blocked")
    return 1 if reason else 0
