"""Shared helpers of the daemon tests: message builders and a settings factory for real servers."""

from __future__ import annotations

from email.message import Message
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.db import make_engine
from store.models import Outbox, RawMessage, Ticket, TicketMessage, utcnow
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from triage.daemon import Daemon
from triage.settings import Settings


def mail(
    subject: str = "Data disclosure request - case 2026/4411",
    sender: str = "j.doe@police.example",
    body: str = "Pursuant to the attached order we request subscriber information for @someone.\n",
    msgid: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A small RFC 5322 message; extra ``headers`` are added verbatim."""
    msg = Message()
    msg["From"] = f"Officer <{sender}>"
    msg["To"] = "lawenforcement@platform.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = msgid or make_msgid(domain=sender.split("@")[1])
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_payload(body, charset="utf-8")
    return crlf(msg.as_bytes())


def crlf(raw: bytes) -> bytes:
    """Network line endings, as an IMAP server stores and returns them."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def server_settings(base: Settings, imap: DovecotServer | None, smtp: SmtpServer | None, **over: Any) -> Settings:
    """The test settings pointed at the real servers; no spaCy (speed), unverified senders acknowledged."""
    update: dict[str, Any] = {
        "use_spacy": False,
        "ack_unverified": True,
        "outbox_backoff_seconds": 0.2,
        "outbox_backoff_max_seconds": 1.0,
        "poll_seconds": 2.0,
        "outbox_poll_seconds": 0.5,
        "imap_timeout": 10.0,
    }
    if imap is not None:
        update |= {"imap_host": imap.host, "imap_port": imap.port, "imap_user": imap.user,
                   "imap_password": SecretStr(imap.password), "imap_ssl": False}
    if smtp is not None:
        update |= {"smtp_host": smtp.host, "smtp_port": smtp.port, "smtp_tls": "none"}
    update |= over
    return base.model_copy(update=update)


def run_once(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        return Daemon(settings, engine).run(once=True)
    finally:
        engine.dispose()


def tickets(engine: Engine) -> list[Ticket]:
    with Session(engine) as s:
        return list(s.exec(select(Ticket).order_by(col(Ticket.id))).all())


def outbox(engine: Engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())


def inbound(engine: Engine) -> list[TicketMessage]:
    with Session(engine) as s:
        q = select(TicketMessage).where(TicketMessage.direction == "inbound").order_by(col(TicketMessage.id))
        return list(s.exec(q).all())


def raws(engine: Engine) -> list[RawMessage]:
    with Session(engine) as s:
        return list(s.exec(select(RawMessage).order_by(col(RawMessage.id))).all())


def maildir_with(root: Path, raws: list[bytes], name: str = "Maildir") -> Path:
    """A Maildir under ``root`` holding ``raws`` as new mail, in order."""
    box = root / name
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for i, raw in enumerate(raws):
        (box / "new" / f"{i:06d}.eml").write_bytes(raw)
    return box
