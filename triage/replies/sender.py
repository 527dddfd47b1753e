"""The outbox sender: claim due rows, deliver them, record the outcome, retry with backoff.

Rows are claimed in a short transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: a
conditional UPDATE), sent with no transaction open, then settled in another. Delivery is
at-least-once: if the process dies after the server's 250 and before the settle commits, the
claim expires and the row is sent again. Never raises for SMTP or file errors.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.audit import record
from store.db import is_postgres, session_scope
from store.models import Outbox, Ticket, utcnow
from triage.metrics import Metrics
from triage.oauth import OAuthError, bearer_token, tls_context, xoauth2_response
from triage.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt."""

    ok: bool
    response: str
    permanent: bool = False  # a 5xx answer: retrying cannot help


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Delay before retry number ``attempts`` (1-based): base, doubling, capped."""
    delay = settings.outbox_backoff_seconds * (2 ** max(attempts - 1, 0))
    return float(min(delay, settings.outbox_backoff_max_seconds))


def _reply_text(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {' '.join(text.split())}"


class OutboxSender:
    """Delivers queued Outbox rows over SMTP (or as .eml files when ``outbox_dir`` is set)."""

    def __init__(
        self, settings: Settings, engine: Engine, worker_id: str | None = None, metrics: Metrics | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._smtp: smtplib.SMTP | None = None  # kept open across the rows of one deliver_due call
        self._keep = False

    # --- claiming

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.smtp_timeout * 4 + 60)

    def _due(self, now: datetime) -> ColumnElement[bool]:
        """Queued and due, or claimed by a worker whose lease ran out (it died mid-send)."""
        return or_(
            (col(Outbox.status) == "queued") & (col(Outbox.next_attempt_at) <= now),
            (col(Outbox.status) == "sending") & (col(Outbox.claimed_until) < now),
        )

    def claim(self, limit: int) -> list[int]:
        """Mark up to ``limit`` due rows as ours ('sending'); return their ids."""
        now = utcnow()
        until = now + self._lease()
        with session_scope(self.engine) as session:
            query = select(Outbox.id).where(self._due(now)).order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            query = query.limit(limit)
            if is_postgres(self.engine):
                ids = [i for i in session.exec(query.with_for_update(skip_locked=True)).all() if i is not None]
                if ids:
                    session.execute(
                        update(Outbox)
                        .where(col(Outbox.id).in_(ids))
                        .values(status="sending", claimed_by=self.worker_id, claimed_until=until)
                    )
                return ids
            claimed = []
            for row_id in session.exec(query).all():
                result = session.execute(
                    update(Outbox)
                    .where(col(Outbox.id) == row_id, self._due(now))
                    .values(status="sending", claimed_by=self.worker_id, claimed_until=until)
                )
                if result.rowcount == 1 and row_id is not None:  # type: ignore[attr-defined]
                    claimed.append(row_id)
            return claimed

    # --- delivering

    def _envelope_from(self) -> str:
        return self.settings.bounce_address or ""

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=tls_context()
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        smtp.ehlo()
        if s.smtp_tls == "starttls":
            smtp.starttls(context=tls_context())
            smtp.ehlo()
        token = bearer_token(s, "smtp")
        if token is not None:  # XOAUTH2 (Microsoft 365, Google Workspace); the token is never logged
            smtp.auth("XOAUTH2", lambda challenge=None: xoauth2_response(s.smtp_user, token), initial_response_ok=True)
        elif s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
        return smtp

    def send_smtp(self, row: Outbox) -> Attempt:
        """One SMTP transaction; the server's final reply is what gets recorded.

        Inside ``deliver_due`` the connection is kept for the next row (RSET after a failed
        transaction), so a batch of acknowledgments costs one connect and login, not one each.
        """
        if not row.to_address or not row.raw:
            return Attempt(False, "nothing to send: no recipient or no message", permanent=True)
        reused = self._smtp is not None
        result = self._send_once(row)
        if reused and result.response.startswith("stale:"):  # the kept connection had timed out: once afresh
            result = self._send_once(row)
        if result.response.startswith("stale:"):
            result = Attempt(False, "smtp:" + result.response.removeprefix("stale:"))
        if not self._keep:
            self._hang_up()
        return result

    def _send_once(self, row: Outbox) -> Attempt:
        try:
            smtp = self._open()
        except smtplib.SMTPAuthenticationError as exc:
            return Attempt(False, f"auth: {_reply_text(exc.smtp_code, exc.smtp_error)}")
        except OAuthError as exc:
            return Attempt(False, f"auth: {exc}")
        except (OSError, smtplib.SMTPException) as exc:
            return Attempt(False, f"connect: {type(exc).__name__}: {exc}")
        try:
            try:
                code, msg = smtp.mail(self._envelope_from())
            except smtplib.SMTPServerDisconnected as exc:  # nothing was sent: safe to retry on a new connection
                self._drop()
                return Attempt(False, f"stale: {type(exc).__name__}: {exc}")
            result = self._transaction(smtp, row, code, msg)
        except UnicodeError as exc:  # a non-ASCII address this relay cannot take: retrying will not help
            result = Attempt(False, f"address: {type(exc).__name__}: {exc}", permanent=True)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return Attempt(False, f"smtp: {type(exc).__name__}: {exc}")
        if not result.ok:
            self._reset()
        return result

    def _transaction(self, smtp: smtplib.SMTP, row: Outbox, code: int, msg: bytes) -> Attempt:
        if code != 250:
            return Attempt(False, f"MAIL FROM: {_reply_text(code, msg)}", permanent=500 <= code < 600)
        assert row.to_address is not None and row.raw is not None
        code, msg = smtp.rcpt(row.to_address)
        if code not in (250, 251):
            return Attempt(False, f"RCPT TO: {_reply_text(code, msg)}", permanent=500 <= code < 600)
        code, msg = smtp.data(row.raw)
        if code != 250:
            return Attempt(False, f"DATA: {_reply_text(code, msg)}", permanent=500 <= code < 600)
        return Attempt(True, _reply_text(code, msg))

    def _open(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def _reset(self) -> None:
        """Abort a failed transaction so the connection can carry the next one (or drop it)."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _hang_up(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def write_eml(self, row: Outbox, directory: Path) -> Attempt:
        """File mode: the message as ``<id>.eml``, written atomically."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{row.id:08d}-{row.kind}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(row.raw or b"")
            os.replace(tmp, path)
        except OSError as exc:
            return Attempt(False, f"write: {type(exc).__name__}: {exc}")
        return Attempt(True, f"written {path.name}")

    def attempt(self, row: Outbox) -> Attempt:
        if self.settings.outbox_dir is not None:
            return self.write_eml(row, self.settings.outbox_dir)
        return self.send_smtp(row)

    # --- settling

    def settle(self, row_id: int, result: Attempt) -> bool:
        """Record the outcome of one attempt; True when the row is now sent."""
        now = utcnow()
        with session_scope(self.engine) as session:
            row = session.get(Outbox, row_id)
            if row is None or row.claimed_by != self.worker_id or row.status != "sending":
                log.warning("outbox %s: claim lost before settling (%s)", row_id, result.response)
                return False
            row.attempts += 1
            row.claimed_by = row.claimed_until = None
            if result.ok:
                self._mark_sent(session, row, result, now)
            elif result.permanent or row.attempts >= self.settings.outbox_max_attempts:
                self._mark_failed(session, row, result)
            else:
                row.status = "queued"
                row.last_error = result.response
                row.next_attempt_at = now + timedelta(seconds=backoff_seconds(self.settings, row.attempts))
                log.info("outbox %s: attempt %d failed (%s); retry at %s", row.id, row.attempts,
                         result.response, row.next_attempt_at.isoformat())
            session.add(row)
            self._count(row)
            return result.ok

    def _count(self, row: Outbox) -> None:
        """Acknowledgment outcomes for the metrics: each sent row, and each that finally failed."""
        if self.metrics is not None and row.kind == "ack" and row.status in ("sent", "failed"):
            self.metrics.acknowledgment(row.status)

    def _mark_sent(self, session: Session, row: Outbox, result: Attempt, now: datetime) -> None:
        row.status, row.sent_at, row.smtp_response, row.last_error = "sent", now, result.response, None
        if row.kind == "ack" and row.ticket_id is not None:
            session.execute(
                update(Ticket).where(col(Ticket.id) == row.ticket_id, col(Ticket.acknowledged_at).is_(None))
                .values(acknowledged_at=now)
            )
        record(session, f"{row.kind}_sent", ticket_id=row.ticket_id,
               detail={"outbox_id": row.id, "response": result.response, "attempts": row.attempts})
        log.info("outbox %s: %s sent to %s: %s", row.id, row.kind, row.to_address, result.response)

    def _mark_failed(self, session: Session, row: Outbox, result: Attempt) -> None:
        row.status, row.last_error = "failed", result.response
        row.smtp_response = result.response if result.permanent else row.smtp_response
        record(session, f"{row.kind}_failed", ticket_id=row.ticket_id,
               detail={"outbox_id": row.id, "error": result.response, "attempts": row.attempts})
        log.warning("outbox %s: %s to %s FAILED after %d attempts: %s", row.id, row.kind, row.to_address,
                    row.attempts, result.response)

    def deliver_due(self, limit: int = 100) -> int:
        """Deliver every due row (up to ``limit``); returns how many were sent."""
        sent = 0
        try:
            ids = self.claim(limit)
        except Exception:
            log.exception("outbox: claiming failed")
            return 0
        if not ids:
            return 0
        try:
            with session_scope(self.engine) as session:  # one read for the batch
                rows = list(session.exec(select(Outbox).where(col(Outbox.id).in_(ids))))
        except Exception:
            log.exception("outbox: reading the claimed rows failed")
            return 0
        order = {row_id: i for i, row_id in enumerate(ids)}
        self._keep = True
        try:
            for row in sorted(rows, key=lambda r: order.get(r.id or 0, 0)):
                sent += self._deliver_one(row)
        finally:
            self._keep = False
            self._hang_up()
        return sent

    def _deliver_one(self, row: Outbox) -> bool:
        row_id = row.id
        assert row_id is not None
        try:
            try:
                result = self.attempt(row)
            except Exception as exc:  # bad input never escapes the sender
                self._drop()
                result = Attempt(False, f"unexpected: {type(exc).__name__}: {exc}")
            return self.settle(row_id, result)
        except Exception:
            log.exception("outbox %s: settling failed", row_id)
            return False
