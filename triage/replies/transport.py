"""One SMTP relay connection, kept across the rows of a delivery batch; or .eml files in file mode.

Never raises for SMTP or file errors: every outcome is an :class:`Attempt`, the server's final
reply included, so the sender can record it.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from pathlib import Path

from store.models import Outbox
from triage.oauth import OAuthError, bearer_token, tls_context, xoauth2_response
from triage.settings import Settings


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt."""

    ok: bool
    response: str
    permanent: bool = False  # a 5xx answer: retrying cannot help


def _reply_text(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {' '.join(text.split())}"


class SmtpTransport:
    """Sends Outbox rows; ``_keep`` holds the connection open between rows (one connect and login a batch)."""

    settings: Settings
    _smtp: smtplib.SMTP | None = None
    _keep: bool = False

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
