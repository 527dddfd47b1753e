"""OAuth2 bearer tokens from a file or a command; XOAUTH2 against a real SMTP server; verified TLS."""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from triage.oauth import OAuthError, bearer_token, tls_context, xoauth2_base64, xoauth2_response
from triage.settings import Settings

TOKEN = "ya29.a0-test-token"


def test_no_oauth_means_password_login(settings: Settings) -> None:
    assert bearer_token(settings, "imap") is None
    assert bearer_token(settings, "smtp") is None


def test_token_from_file_is_reread(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "imap-token"
    f.write_text(TOKEN + "\n")
    s = settings.model_copy(update={"imap_oauth2_token_file": f})
    assert bearer_token(s, "imap") == TOKEN
    assert bearer_token(s, "smtp") is None
    f.write_text("refreshed")
    assert bearer_token(s, "imap") == "refreshed"


def test_token_file_problems_name_the_setting(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"smtp_oauth2_token_file": tmp_path / "absent"})
    with pytest.raises(OAuthError, match=r"^TRIAGE_SMTP_OAUTH2_TOKEN_FILE: cannot read"):
        bearer_token(s, "smtp")
    (tmp_path / "empty").write_text("\n")
    s = settings.model_copy(update={"smtp_oauth2_token_file": tmp_path / "empty"})
    with pytest.raises(OAuthError, match="is empty"):
        bearer_token(s, "smtp")


def _cmd(code: str) -> str:
    return f"{sys.executable} -c {code!r}"


def test_token_from_command(settings: Settings) -> None:
    s = settings.model_copy(update={"smtp_oauth2_token_command": _cmd(f"print(); print('{TOKEN}')")})
    assert bearer_token(s, "smtp") == TOKEN


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import sys; print('leaked-secret'); sys.exit(3)", "exited with status 3"),
        ("pass", "printed no token"),
        ("import time; time.sleep(5)", "did not finish within 0.5s"),
    ],
)
def test_command_failures_are_one_clear_line(settings: Settings, code: str, message: str) -> None:
    s = settings.model_copy(update={"imap_oauth2_token_command": _cmd(code), "oauth2_command_timeout": 0.5})
    with pytest.raises(OAuthError) as info:
        bearer_token(s, "imap")
    assert message in str(info.value) and "leaked-secret" not in str(info.value)
    assert str(info.value).startswith("TRIAGE_IMAP_OAUTH2_TOKEN_COMMAND: ")


def test_missing_command(settings: Settings) -> None:
    s = settings.model_copy(update={"imap_oauth2_token_command": "/nonexistent/token-helper --json"})
    with pytest.raises(OAuthError, match="cannot run the command: FileNotFoundError"):
        bearer_token(s, "imap")


def test_xoauth2_encoding() -> None:
    raw = xoauth2_response("le@platform.example", TOKEN)
    assert raw == f"user=le@platform.example\x01auth=Bearer {TOKEN}\x01\x01"
    assert base64.b64decode(xoauth2_base64("le@platform.example", TOKEN)).decode() == raw


class _XOAuth2Handler:
    """Accepts AUTH XOAUTH2 only with the expected user and token."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        blob = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        self.seen.append(blob)
        ok = blob == xoauth2_response("le@platform.example", TOKEN)
        return AuthResult(success=ok, handled=False, auth_data=blob if ok else None)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        return "250 OK"


@pytest.fixture
def xoauth2_server() -> Iterator[tuple[Controller, _XOAuth2Handler]]:
    handler = _XOAuth2Handler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = Controller(handler, hostname="127.0.0.1", port=port, auth_require_tls=False)
    ctl.start()
    yield ctl, handler
    ctl.stop()


def test_smtp_xoauth2_login_with_token_file(
    xoauth2_server: tuple[Controller, _XOAuth2Handler], settings: Settings, tmp_path: Path
) -> None:
    ctl, handler = xoauth2_server
    (tmp_path / "tok").write_text(TOKEN)
    token = bearer_token(settings.model_copy(update={"smtp_oauth2_token_file": tmp_path / "tok"}), "smtp")
    assert token
    port = ctl.port
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        code, _ = smtp.auth("XOAUTH2", lambda challenge=None: xoauth2_response("le@platform.example", token))
        assert code == 235
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp, pytest.raises(smtplib.SMTPAuthenticationError):
        smtp.ehlo()
        smtp.auth("XOAUTH2", lambda challenge=None: xoauth2_response("le@platform.example", "wrong"))
    assert len(handler.seen) == 2


def test_tls_is_verified_by_default() -> None:
    ctx = tls_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2


def _queued_ack(engine: Any) -> int:
    from store.db import session_scope
    from store.models import Outbox

    with session_scope(engine) as session:
        row = Outbox(to_address="j.doe@police.example", subject="ack", raw=b"Subject: ack\r\n\r\nreceived\r\n")
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def test_outbox_sender_logs_in_with_xoauth2(
    xoauth2_server: tuple[Controller, _XOAuth2Handler], settings: Settings, engine: Any, tmp_path: Path
) -> None:
    from store.db import session_scope
    from store.models import Outbox
    from triage.replies.sender import OutboxSender

    ctl, handler = xoauth2_server
    (tmp_path / "tok").write_text(TOKEN + "\n")
    s = settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": ctl.port, "smtp_tls": "none", "smtp_user": "le@platform.example",
        "smtp_oauth2_token_file": tmp_path / "tok",
    })
    good = _queued_ack(engine)
    assert OutboxSender(s, engine).deliver_due() == 1
    assert handler.seen == [xoauth2_response("le@platform.example", TOKEN)]
    (tmp_path / "tok").write_text("expired-token")  # re-read on the next connection
    bad = _queued_ack(engine)
    assert OutboxSender(s, engine).deliver_due() == 0
    with session_scope(engine) as session:
        assert session.get(Outbox, good).status == "sent"  # type: ignore[union-attr]
        failed = session.get(Outbox, bad)
        assert failed is not None and failed.status == "queued" and (failed.last_error or "").startswith("auth: ")
        assert "expired-token" not in (failed.last_error or "")
