"""On-call paging through the real SMTP peer and a local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.db import session_scope
from store.models import AuditEvent, Outbox, Ticket, User, utcnow
from tests.servers.smtp import SmtpServer
from tests.triage.replies.conftest import new_ticket
from triage.replies.paging import page_due, page_new_ticket
from triage.replies.sender import OutboxSender
from triage.settings import Settings

SECRET_SUBJECT = "Threat to life - account @victim_handle"
TARGET = "@victim_handle"


class Receiver:
    """Records every POST; answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/page"
        # shutdown() waits for the loop to look at its flag: every 10 ms, not the default 0.5 s
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _paging(settings: Settings, smtp: SmtpServer | None, hook: Receiver | None, **over: Any) -> Settings:
    update: dict[str, Any] = {"base_url": "https://triage.platform.example/", "oncall_repeat_minutes": 15}
    if smtp is not None:
        update |= {"oncall_email": "oncall@platform.example", "smtp_host": smtp.host, "smtp_port": smtp.port}
    if hook is not None:
        update |= {"oncall_webhook": hook.url, "oncall_webhook_token": SecretStr("tok-123")}
    return settings.model_copy(update=update | over)


def _emergency(session: Session, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "subject": SECRET_SUBJECT, "emergency": True, "request_type": "emergency_disclosure",
        "country": "DE", "targets": [TARGET], "agency": "Landeskriminalamt Berlin",
    } | fields
    return new_ticket(session, **values)


def test_emergency_pages_email_and_webhook_without_content(
    settings: Settings, engine: Engine, smtp_server: SmtpServer, receiver: Receiver
) -> None:
    s = _paging(settings, smtp_server, receiver)
    with session_scope(engine) as session:
        ticket = _emergency(session)
        assert page_new_ticket(session, s, ticket)
        reference = ticket.reference
    [req] = receiver.requests
    assert req["headers"]["Authorization"] == "Bearer tok-123"
    payload = json.loads(req["body"])
    assert payload["reference"] == reference and payload["emergency"] is True
    assert payload["request_type"] == "emergency_disclosure" and payload["country"] == "DE"
    assert payload["link"] == f"https://triage.platform.example/tickets/{reference}"
    assert payload["repeat"] == 0
    assert TARGET not in req["body"].decode() and "Threat" not in req["body"].decode()
    assert "Landeskriminalamt" not in req["body"].decode()

    assert OutboxSender(s, engine).deliver_due() == 1
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["oncall@platform.example"]
    msg = mail.message
    assert msg["Auto-Submitted"] == "auto-generated" and reference in msg["Subject"]
    assert b"victim_handle" not in mail.data and b"Threat" not in mail.data and b"Landeskriminalamt" not in mail.data
    assert f"/tickets/{reference}".encode() in mail.data
    with Session(engine) as session:
        stored = session.get(Ticket, ticket.id)
        assert stored is not None and stored.paged_at is not None
        [out] = session.exec(select(Outbox)).all()
        assert out.kind == "oncall" and out.status == "sent"
        assert [e.action for e in session.exec(select(AuditEvent)).all() if e.action == "paged"] == ["paged"]
    # filing the same ticket again (a retried transaction) does not page twice
    with session_scope(engine) as session:
        again = session.get(Ticket, ticket.id)
        assert again is not None and not page_new_ticket(session, s, again)


@pytest.mark.parametrize(
    ("fields", "paged"),
    [
        ({"emergency": False}, False),
        ({"emergency": False, "statutory_deadline_in": timedelta(hours=24)}, True),
        ({"emergency": False, "statutory_deadline_in": timedelta(days=10)}, False),
        ({"mail_class": "auto_reply"}, False),
        ({"status": "spam"}, False),
    ],
)
def test_what_pages(fields: dict[str, Any], paged: bool, settings: Settings, engine: Engine,
                    receiver: Receiver) -> None:
    s = _paging(settings, None, receiver)
    with session_scope(engine) as session:
        now = utcnow()
        fields = dict(fields)
        if "statutory_deadline_in" in fields:
            fields["statutory_deadline"] = now + fields.pop("statutory_deadline_in")
        ticket = _emergency(session, received_at=now, **fields)
        assert page_new_ticket(session, s, ticket) is paged
    assert len(receiver.requests) == int(paged)


def test_paging_off_without_channels(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        assert not page_new_ticket(session, settings, _emergency(session))
        assert page_due(session, settings) == 0


def test_pages_again_until_someone_picks_it_up(settings: Settings, engine: Engine, receiver: Receiver) -> None:
    s = _paging(settings, None, receiver)
    with session_scope(engine) as session:
        ticket = _emergency(session)
        page_new_ticket(session, s, ticket)
        first = ticket.paged_at
        assert first is not None
    with session_scope(engine) as session:
        assert page_due(session, s, first + timedelta(minutes=5)) == 0  # too soon
        assert page_due(session, s, first + timedelta(minutes=16)) == 1
        assert page_due(session, s, first + timedelta(minutes=17)) == 0  # just paged again
    assert [json.loads(r["body"])["repeat"] for r in receiver.requests] == [0, 1]
    with session_scope(engine) as session:
        user = User(name="reviewer1", password_hash="x")
        session.add(user)
        session.flush()
        stored = session.get(Ticket, ticket.id)
        assert stored is not None
        stored.assignee_id = user.id
    with session_scope(engine) as session:
        assert page_due(session, s, first + timedelta(hours=2)) == 0  # assigned: nobody is paged
        stored = session.get(Ticket, ticket.id)
        assert stored is not None
        stored.assignee_id, stored.status = None, "in_review"
    with session_scope(engine) as session:
        assert page_due(session, s, first + timedelta(hours=3)) == 0  # picked up: in review
    assert len(receiver.requests) == 2


def test_failed_webhook_is_retried(settings: Settings, engine: Engine, receiver: Receiver) -> None:
    s = _paging(settings, None, receiver)
    receiver.status = 503
    with session_scope(engine) as session:
        ticket = _emergency(session)
        assert not page_new_ticket(session, s, ticket)
        assert ticket.paged_at is None
    with Session(engine) as session:
        [event] = [e for e in session.exec(select(AuditEvent)).all() if e.action == "page_failed"]
        assert "503" in event.detail["errors"][0]
    receiver.status = 200
    with session_scope(engine) as session:
        assert page_due(session, s) == 1
    with Session(engine) as session:
        stored = session.get(Ticket, ticket.id)
        assert stored is not None and stored.paged_at is not None
    assert len(receiver.requests) == 2


def test_unreachable_webhook_does_not_raise(settings: Settings, engine: Engine, smtp_server: SmtpServer) -> None:
    s = _paging(settings, smtp_server, None, oncall_webhook="http://127.0.0.1:9/nowhere")
    with session_scope(engine) as session:
        ticket = _emergency(session)
        assert page_new_ticket(session, s, ticket)  # the email channel still took it
    assert OutboxSender(s, engine).deliver_due() == 1
