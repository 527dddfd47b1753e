"""Seed a review-UI database from tests/fixtures/web: tickets, archived raw mail, fields, users."""

from __future__ import annotations

import json
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from store.archive import Archive
from store.corrections import compute_due_at
from store.db import session_scope
from store.messages import add_raw
from store.models import Ticket, TicketMessage, utcnow
from store.tickets import create_ticket, set_field
from store.users import create_user
from triage.parse import parse_bytes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "web"
TICKET_KEYS = (
    "subject", "sender_name", "sender_address", "agency", "country", "region", "request_type", "emergency",
    "case_reference", "legal_basis", "targets", "non_disclosure", "sender_verified", "signals", "language",
)  # fmt: skip
PASSWORDS = {"rita": "rita-reviews-2026", "adam": "adam-administers-2026"}


def load_specs() -> list[dict[str, Any]]:
    lines = (FIXTURES / "tickets.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _raw_for(spec: dict[str, Any], received: Any) -> bytes:
    if spec.get("eml"):
        return (FIXTURES / spec["eml"]).read_bytes()
    msg = EmailMessage()
    msg["From"] = f"{spec['sender_name']} <{spec['sender_address']}>"
    msg["To"] = "lawenforcement@platform.example"
    msg["Subject"] = spec["subject"]
    msg["Date"] = format_datetime(received)
    msg["Message-ID"] = f"<{spec['key']}@{spec['sender_address'].split('@')[1]}>"
    msg.set_content(spec["body"])
    return msg.as_bytes()


def _evidence(name: str, ev: dict[str, Any], texts: dict[str, str]) -> list[dict[str, Any]]:
    for source, text in texts.items():
        pos = text.find(ev["text"])
        if pos >= 0:
            end = pos + len(ev["text"])
            return [{"text": ev["text"], "source": source, "start": pos, "end": end, "rule": "fixture"}]
    return [{"text": ev["text"], "source": "body", "start": None, "end": None, "rule": "fixture"}]


def seed_ticket(session: Any, archive: Archive, spec: dict[str, Any]) -> Ticket:
    now = utcnow()
    received = now - timedelta(hours=spec["received_hours_ago"])
    raw = _raw_for(spec, received)
    parsed = parse_bytes(raw)
    sha = archive.put(raw)
    row, _ = add_raw(
        session, sha=sha, size=len(raw), mailbox="default", folder="INBOX", uid=None, uidvalidity=None,
        internaldate=received, received_header_at=received, message_id=parsed.message_id,
    )  # fmt: skip
    values = {k: spec[k] for k in TICKET_KEYS if k in spec}
    if "deadline_days" in spec:
        values["deadline"] = (now + timedelta(days=spec["deadline_days"])).date()
    if "statutory_hours" in spec:
        values["statutory_deadline"] = received + timedelta(hours=spec["statutory_hours"])
    values["due_at"] = compute_due_at(values.get("deadline"), values.get("statutory_deadline"))
    if "acked_minutes" in spec:
        values["acknowledged_at"] = received + timedelta(minutes=spec["acked_minutes"])
    if spec.get("follow_up"):
        values["follow_up_at"] = now - timedelta(hours=1)
    ticket = create_ticket(session, received_at=received, **values)
    assert ticket.id is not None
    row.ticket_id = ticket.id
    session.add(row)
    body = parsed.text or ""
    texts = {"subject": parsed.subject, "body": body}
    attachments = [
        {"filename": a.filename, "content_type": a.content_type, "size": len(a.data), "index": i}
        for i, a in enumerate(parsed.attachments)
    ]
    session.add(
        TicketMessage(
            ticket_id=ticket.id,
            direction="inbound",
            raw_message_id=row.id,
            message_id=parsed.message_id,
            from_address=parsed.from_address,
            to_addresses=", ".join(parsed.to),
            subject=parsed.subject,
            date=parsed.date,
            body_text=body,
            body_html=parsed.html,
            headers=[list(h) for h in parsed.headers],
            attachments=attachments,
            extraction={"texts": texts},
        )
    )
    for name, ev in spec.get("fields", {}).items():
        set_field(
            session, ticket.id, name, _json(getattr(ticket, name)), confidence=ev["confidence"],
            evidence=_evidence(name, ev, texts),
        )  # fmt: skip
    session.flush()
    return ticket


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def seed(engine: Engine, archive_dir: Path) -> dict[str, int]:
    """All fixture tickets plus a reviewer and an admin; returns ticket ids by fixture key."""
    archive = Archive(archive_dir)
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        create_user(session, "rita", PASSWORDS["rita"], "reviewer")
        create_user(session, "adam", PASSWORDS["adam"], "admin")
        for spec in load_specs():
            ticket = seed_ticket(session, archive, spec)
            assert ticket.id is not None
            ids[spec["key"]] = ticket.id
    return ids


def seed_review_tickets(engine: Engine) -> dict[str, int]:
    """Tickets of ``review_tickets.jsonl`` (signals, completeness, mail classes, shared targets)."""
    lines = (FIXTURES / "review_tickets.jsonl").read_text(encoding="utf-8").splitlines()
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        for spec in (json.loads(line) for line in lines if line.strip()):
            values = {k: v for k, v in spec.items() if k not in ("key", "received_hours_ago")}
            received = utcnow() - timedelta(hours=spec["received_hours_ago"])
            ticket = create_ticket(session, received_at=received, **values)
            assert ticket.id is not None
            ids[spec["key"]] = ticket.id
    return ids
