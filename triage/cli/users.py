"""``triage user add NAME --role reviewer|admin``: create a staff account of the review UI."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from store.audit import record
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.users import ROLES, UserError, create_user
from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="staff accounts of the review UI")
    usub = p.add_subparsers(dest="user_command", required=True)
    add = usub.add_parser("add", help="create an account (password prompted, or read from a file)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="reviewer")
    add.add_argument("--password-file", type=Path, help="read the password from this file (first line)")
    add.set_defaults(func=cmd_add)


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file is not None:
        lines = args.password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        print("triage: passwords do not match", file=sys.stderr)
        return None
    return first


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password = _password(args)
    except OSError as exc:
        print(f"triage: cannot read password: {exc}", file=sys.stderr)
        return 2
    if password is None:
        return 1
    if settings.auto_migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            user = create_user(session, args.name, password, args.role)
            record(session, "user_created", actor="cli", field="user", new={"name": user.name, "role": user.role})
    except UserError as exc:
        print(f"triage: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"user {args.name} ({args.role}) created")
    return 0
