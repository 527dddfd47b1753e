"""``triage export-corrections``: reviewer corrections as labeled examples in the corpus schema.

Each ticket with at least one corrected field becomes ``<reference>.eml`` (the archived bytes
of its first inbound message) and one line of ``labels.jsonl`` whose values are the ticket's
effective values, i.e. the machine's unless a reviewer corrected them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from store.archive import Archive, ArchiveError
from store.db import make_engine
from store.models import RawMessage, Ticket, TicketField, TicketMessage
from triage.settings import Settings

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-corrections", help="export reviewer corrections as labeled corpus examples")
    p.add_argument("--out", type=Path, default=Path("corrections"), help="output directory (default ./corrections)")
    p.set_defaults(func=cmd_export)


def label_of(ticket: Ticket, filename: str, corrected: list[str]) -> dict[str, Any]:
    """One labels.jsonl object (corpus SCHEMA.md keys) from the ticket's effective values."""
    return {
        "file": filename,
        "language": ticket.language,
        "agency": ticket.agency,
        "agency_aliases": [],
        "country": ticket.country,
        "region": ticket.region,
        "request_type": ticket.request_type,
        "emergency": bool(ticket.emergency or ticket.statutory_deadline is not None),
        "deadline": ticket.deadline.isoformat() if ticket.deadline else None,
        "case_reference": ticket.case_reference,
        "legal_basis": list(ticket.legal_basis or []),
        "targets": list(ticket.targets or []),
        "sender_verified": ticket.sender_verified,
        "notes": "reviewer corrected: " + ", ".join(sorted(corrected)),
    }


def _first_raw(session: Session, ticket_id: int) -> RawMessage | None:
    stmt = (
        select(RawMessage)
        .join(TicketMessage, col(TicketMessage.raw_message_id) == col(RawMessage.id))
        .where(col(TicketMessage.ticket_id) == ticket_id, col(TicketMessage.direction) == "inbound")
        .order_by(col(TicketMessage.id))
        .limit(1)
    )
    return session.exec(stmt).first()


def export(session: Session, archive: Archive, out: Path) -> tuple[int, int]:
    """Write the examples; returns (exported, skipped because the raw mail is gone)."""
    corrected: dict[int, list[str]] = {}
    for tf in session.exec(select(TicketField).where(col(TicketField.corrected)).order_by(col(TicketField.id))):
        corrected.setdefault(tf.ticket_id, []).append(tf.name)
    out.mkdir(parents=True, exist_ok=True)
    done = skipped = 0
    with (out / "labels.jsonl").open("w", encoding="utf-8") as labels:
        for ticket_id, names in corrected.items():
            ticket = session.get(Ticket, ticket_id)
            raw = _first_raw(session, ticket_id)
            if ticket is None or raw is None or raw.purged_at is not None:
                skipped += 1
                continue
            try:
                data = archive.get(raw.sha256)
            except (ArchiveError, OSError) as exc:
                log.warning("ticket %s: raw message unavailable: %s", ticket.reference, exc)
                skipped += 1
                continue
            filename = f"{ticket.reference}.eml"
            (out / filename).write_bytes(data)
            labels.write(json.dumps(label_of(ticket, filename, names), ensure_ascii=False) + "\n")
            done += 1
    return done, skipped


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            done, skipped = export(session, Archive(settings.archive_dir), args.out)
    finally:
        engine.dispose()
    print(f"exported {done} corrected examples to {args.out}")
    if skipped:
        print(f"triage: {skipped} tickets skipped, their raw mail is no longer archived", file=sys.stderr)
    return 0
