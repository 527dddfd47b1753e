"""``triage tickets``, ``triage show REF`` and ``triage reprocess REF``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from store.db import make_engine, session_scope
from store.messages import messages_of_ticket
from store.models import Ticket
from store.tickets import ack_summary, find_by_reference, list_tickets, outbox_of
from triage.settings import Settings

TABLE_COLUMNS = ("reference", "status", "mail_class", "request_type", "country", "emergency", "acknowledgment",
                 "subject")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tickets", help="list tickets")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--status", help="only tickets with this status")
    p.set_defaults(func=cmd_tickets)
    s = sub.add_parser("show", help="show one ticket with its messages and acknowledgments")
    s.add_argument("reference")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_show)
    r = sub.add_parser("reprocess", help="re-run extraction on a ticket's archived messages")
    r.add_argument("reference")
    r.set_defaults(func=cmd_reprocess)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_json(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The listing record of one ticket (the keys ``triage tickets --json`` promises)."""
    assert ticket.id is not None
    msgs = messages_of_ticket(session, ticket.id)
    ack = ack_summary(outbox_of(session, ticket.id))
    return {
        "reference": ticket.reference,
        "status": ticket.status,
        "received_at": _iso(ticket.received_at),
        "request_type": ticket.request_type,
        "agency": ticket.agency,
        "country": ticket.country,
        "emergency": ticket.emergency,
        "deadline": _iso(ticket.deadline),
        "sender_verified": ticket.sender_verified,
        "message_ids": [m.message_id for m in msgs if m.direction == "inbound"],
        "acknowledgment": {"status": ack["status"], "reason": ack["reason"]} if ack else None,
        "mail_class": ticket.mail_class,
        "needs_review": ticket.needs_review,
        "review_reason": ticket.review_reason,
        "subject": ticket.subject,
        "sender": ticket.sender_address,
    }


def _cell(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if key == "acknowledgment":
        return value["status"] if value else "-"
    return "-" if value is None else str(value)


def print_table(records: list[dict[str, Any]]) -> None:
    rows = [[_cell(r, k)[:60] for k in TABLE_COLUMNS] for r in records]
    widths = [max([len(k)] + [len(row[i]) for row in rows]) for i, k in enumerate(TABLE_COLUMNS)]
    print("  ".join(k.ljust(w) for k, w in zip(TABLE_COLUMNS, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def collect(settings: Settings, status: str | None = None) -> list[dict[str, Any]]:
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            return [ticket_json(session, t) for t in list_tickets(session, status)]
    finally:
        engine.dispose()


def cmd_tickets(args: argparse.Namespace, settings: Settings) -> int:
    records = collect(settings, args.status)
    if args.json:
        for rec in records:
            print(json.dumps(rec, ensure_ascii=False))
    else:
        print_table(records)
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            ticket = find_by_reference(session, args.reference)
            if ticket is None or ticket.id is None:
                print(f"triage: no ticket {args.reference}", file=sys.stderr)
                return 1
            record = ticket_json(session, ticket)
            record["messages"] = [
                {"direction": m.direction, "message_id": m.message_id, "from": m.from_address, "subject": m.subject,
                 "mail_class": m.mail_class, "date": _iso(m.date), "error": m.error}
                for m in messages_of_ticket(session, ticket.id)
            ]
            record["outbox"] = [
                {"kind": o.kind, "status": o.status, "reason": o.reason, "to": o.to_address,
                 "message_id": o.message_id, "attempts": o.attempts, "sent_at": _iso(o.sent_at),
                 "smtp_response": o.smtp_response, "last_error": o.last_error}
                for o in outbox_of(session, ticket.id)
            ]
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
        return 0
    for key, value in record.items():
        if key not in ("messages", "outbox"):
            print(f"{key:16} {value}")
    print("messages:")
    for m in record["messages"]:
        print(f"  {m['direction']:8} {m['mail_class']:10} {m['message_id']}  {m['from']}  {m['subject']}")
    print("outbox:")
    for o in record["outbox"]:
        print(f"  {o['kind']:6} {o['status']:10} {o['to'] or '-'}  {o['reason'] or o['last_error'] or ''}")
    return 0


def cmd_reprocess(args: argparse.Namespace, settings: Settings) -> int:
    from triage.pipeline.reprocess import reprocess_ticket

    engine = make_engine(settings.database_url)
    try:
        count = reprocess_ticket(settings, engine, args.reference)
    finally:
        engine.dispose()
    if count is None:
        print(f"triage: no ticket {args.reference}", file=sys.stderr)
        return 1
    print(f"{args.reference}: re-extracted {count} message(s)")
    return 0
