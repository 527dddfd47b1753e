"""Hostile and broken mail: every message still becomes exactly one ticket, flagged when it must be."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from sqlalchemy.engine import Engine

from store.archive import Archive
from store.db import make_engine
from tests.conftest import FIXTURES
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import crlf, inbound, mail, raws, run_once, server_settings, tickets
from triage.daemon import Daemon
from triage.mailbox.maildir import MaildirSource
from triage.settings import Settings

BAD = sorted((FIXTURES / "daemon").glob("*.eml"))


def _big_message(size: int) -> bytes:
    """A multipart message of about ``size`` bytes: a short text and a large base64 attachment."""
    head = (b"From: Officer <j.doe@police.example>\nTo: lawenforcement@platform.example\n"
            b"Subject: Order with a large attachment\nMessage-ID: <big@police.example>\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"B\"\n\n")
    blob = base64.encodebytes(os.urandom(size * 3 // 4))
    return crlf(head + b"--B\nContent-Type: text/plain\n\nPlease find the court order attached.\n--B\n"
                b"Content-Type: application/octet-stream; name=\"dump.bin\"\nContent-Transfer-Encoding: base64\n\n"
                + blob + b"--B--\n")


def test_broken_mail_each_becomes_one_ticket(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    assert len(BAD) >= 4
    dovecot.append(*[crlf(p.read_bytes()) for p in BAD])
    assert run_once(server_settings(settings, dovecot, smtp_server)) == 0
    rows = raws(engine)
    assert len(rows) == len(BAD) and all(r.ticket_id and r.state == "done" for r in rows)
    assert len(tickets(engine)) == len(BAD) and len(inbound(engine)) == len(BAD)
    archive = Archive(settings.archive_dir)
    assert sorted(archive.get(r.sha256) for r in rows) == sorted(crlf(p.read_bytes()) for p in BAD)
    by_id = {m.message_id: m for m in inbound(engine)}
    assert "Müller" in (by_id["<eightbit@polizei.example>"].headers[0][1])
    broken = by_id["<broken-mime@police.example>"]
    assert "@boundary_case" in broken.body_text or "no readable body" in (broken.error or "")
    flagged = {t.id: t for t in tickets(engine)}[broken.ticket_id]
    assert "@boundary_case" in broken.body_text or flagged.needs_review
    assert dovecot.count("INBOX") == 0


def test_thirty_megabyte_message(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    raw = _big_message(30 * 1024 * 1024)
    assert len(raw) >= 30 * 1024 * 1024
    dovecot.append(raw)
    run_once(server_settings(settings, dovecot, smtp_server))
    [ticket] = tickets(engine)
    [row] = raws(engine)
    assert row.size == len(raw) and row.ticket_id == ticket.id
    assert ticket.subject == "Order with a large attachment"
    assert dovecot.count("INBOX") == 0


def test_oversized_message_is_kept_and_flagged(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    raw = _big_message(2 * 1024 * 1024)
    dovecot.append(raw)
    run_once(server_settings(settings, dovecot, smtp_server, max_message_bytes=1024 * 1024))
    [ticket] = tickets(engine)
    assert ticket.needs_review and "over the 1048576-byte limit" in (ticket.review_reason or "")
    assert ticket.mail_class == "unparsed" and ticket.subject == "Order with a large attachment"
    assert Archive(settings.archive_dir).get(raws(engine)[0].sha256) == raw


class _Exploding:
    def extract(self, _input: object) -> None:
        raise RuntimeError("model crashed")


def test_extraction_failure_still_files_for_review(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    box = tmp_path / "box"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1.x").write_bytes(mail(msgid="<boom@police.example>"))
    s = server_settings(settings, None, None, outbox_dir=tmp_path / "out")
    eng = make_engine(s.database_url)
    daemon = Daemon(s, eng, source=MaildirSource(box))
    daemon.ctx._extractor = _Exploding()  # type: ignore[assignment]
    assert daemon.run(once=True) == 0
    eng.dispose()
    [ticket] = tickets(engine)
    assert ticket.needs_review and "extraction failed: RuntimeError: model crashed" in (ticket.review_reason or "")
    assert not list((box / "new").iterdir())
