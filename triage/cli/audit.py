"""``triage audit verify``: is the record intact?

Checks the audit hash chain (an edited or deleted event breaks it) and reads every archived
raw message back through the archive, which verifies its bytes against their SHA-256. Exits 1
listing every problem, so it can run from cron or a monitoring check.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.archive import Archive, ArchiveError
from store.audit import verify_chain
from store.db import make_engine
from store.models import AuditEvent, RawMessage
from triage.settings import Settings


@dataclass(frozen=True)
class Report:
    events: int
    messages: int
    problems: list[str]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="verify the audit chain and the raw-mail archive")
    asub = p.add_subparsers(dest="audit_command", required=True)
    v = asub.add_parser("verify", help="exit 1 listing every altered or missing event or archived message")
    v.add_argument("--no-archive", action="store_true", help="check the audit chain only")
    v.set_defaults(func=cmd_verify)


def check_chain(session: Session) -> tuple[int, list[str]]:
    count = len(session.exec(select(AuditEvent.id)).all())
    return count, [f"audit event {p.event_id}: {p.problem}" for p in verify_chain(session)]


def check_archive(session: Session, archive: Archive) -> tuple[int, list[str]]:
    """Read back every raw message not purged by retention; one problem per missing or altered file."""
    problems: list[str] = []
    count = 0
    stmt = select(RawMessage.id, RawMessage.sha256).where(col(RawMessage.purged_at).is_(None))
    for raw_id, sha in session.exec(stmt.order_by(col(RawMessage.id))):
        count += 1
        try:
            archive.get(sha)
        except ArchiveError as exc:
            problems.append(f"raw message {raw_id}: {exc}")
    return count, problems


def verify(engine: Engine, archive: Archive | None) -> Report:
    with Session(engine) as session:
        events, problems = check_chain(session)
        messages = 0
        if archive is not None:
            messages, more = check_archive(session, archive)
            problems += more
    return Report(events, messages, problems)


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        report = verify(engine, None if args.no_archive else Archive(settings.archive_dir))
    finally:
        engine.dispose()
    for problem in report.problems:
        print(problem)
    checked = f"{report.events} audit events" + ("" if args.no_archive else f", {report.messages} archived messages")
    if report.problems:
        print(f"triage: {len(report.problems)} problems in {checked}", file=sys.stderr)
        return 1
    print(f"ok: {checked} verified")
    return 0
