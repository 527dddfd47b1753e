"""A real SMTP peer for tests: aiosmtpd on 127.0.0.1, free port, messages kept in memory.

Used as a pytest plugin (``pytest_plugins = ["tests.servers.smtp"]``). ``stop()`` and
``start()`` simulate an outage on the same port so retry logic can be exercised
against a real socket, not a mock.
"""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# aiosmtpd logs every connection at INFO from its own thread, which can outlive pytest's
# captured streams; its chatter says nothing the tests check.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data)


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.owner.reject_with:
            return self.owner.reject_with
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        with self.owner.lock:
            self.owner.messages.append(
                ReceivedMessage(str(envelope.mail_from or ""), list(envelope.rcpt_tos), bytes(raw))
            )
        return "250 2.0.0 Ok: queued as T" + str(len(self.owner.messages))


class _Controller(Controller):
    """Controller whose SMTP sessions do not warn about AUTH without TLS (deliberate in tests)."""

    def factory(self) -> SMTP:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """aiosmtpd Controller wrapper; ``messages`` holds every accepted message in order."""

    def __init__(
        self, port: int | None = None, *, user: str = "", password: str = "", tls: str = "none",
        cert: tuple[Path, Path] | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.tls = tls  # none | starttls (required) | ssl (implicit TLS)
        self.cert = cert
        self.port = port or _free_port()
        self.user = user
        self.password = password
        self.messages: list[ReceivedMessage] = []
        self.reject_with: str = ""  # e.g. "451 4.3.0 try later" to refuse DATA
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        """Listen (again) on the same port; retries briefly while the old socket closes."""
        if self._controller is not None:
            return
        kwargs: dict[str, Any] = {}
        if self.tls != "none":
            assert self.cert is not None, "TLS needs a certificate"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
            if self.tls == "ssl":
                kwargs["ssl_context"] = context
            else:
                kwargs |= {"tls_context": context, "require_starttls": True}
        if self.user:
            kwargs |= {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
                # smtplib falls back to LOGIN with an initial response after a failed PLAIN,
                # which aiosmtpd answers by waiting; PLAIN alone keeps a bad login quick.
                "auth_exclude_mechanism": ["LOGIN"],
            }
        deadline = time.monotonic() + 5
        while True:
            controller = _Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
            try:
                controller.start()
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
                continue
            self._controller = controller
            return

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start()``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


@pytest.fixture(scope="session")
def smtp_tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed (cert, key) for 127.0.0.1/localhost; trust it with SSL_CERT_FILE=cert."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed: TLS SMTP tests skipped")
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def _running(server: SmtpServer) -> Iterator[SmtpServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server_starttls(smtp_tls_cert: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A running SMTP server that requires STARTTLS with the self-signed ``smtp_tls_cert``."""
    yield from _running(SmtpServer(tls="starttls", cert=smtp_tls_cert))


@pytest.fixture
def smtp_server_ssl(smtp_tls_cert: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A running SMTPS server (implicit TLS) with the self-signed ``smtp_tls_cert``."""
    yield from _running(SmtpServer(tls="ssl", cert=smtp_tls_cert))


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 (no auth, no TLS)."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server_auth() -> Iterator[SmtpServer]:
    """A running SMTP server that requires AUTH (user ``triage`` / ``s3cret``) over plain TCP."""
    server = SmtpServer(user="triage", password="s3cret")
    server.start()
    try:
        yield server
    finally:
        server.stop()
