"""OAuth2 (SASL XOAUTH2) login for IMAP and SMTP, as Microsoft 365 and Google Workspace require.

le-triage does not run an OAuth flow itself: an operator's tool keeps a fresh access token
in a file, or a command prints one. The token is read on every (re)connect, so a refreshed
token is picked up without a restart. It is never logged.
"""

from __future__ import annotations

import base64
import shlex
import ssl
import subprocess
from pathlib import Path
from typing import Literal

from triage.settings import Settings

Service = Literal["imap", "smtp"]


class OAuthError(Exception):
    """No usable token; the message names the setting and never contains the token."""


def bearer_token(settings: Settings, service: Service) -> str | None:
    """The current bearer token for ``service``, or None when it logs in with a password."""
    token_file: Path | None = getattr(settings, f"{service}_oauth2_token_file")
    command: str = getattr(settings, f"{service}_oauth2_token_command")
    prefix = f"TRIAGE_{service.upper()}_OAUTH2_TOKEN"
    if token_file is not None:
        return _from_file(token_file, f"{prefix}_FILE")
    if command:
        return _from_command(command, settings.oauth2_command_timeout, f"{prefix}_COMMAND")
    return None


def _from_file(path: Path, setting: str) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise OAuthError(f"{setting}: cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if not token:
        raise OAuthError(f"{setting}: {path} is empty")
    return token


def _from_command(command: str, timeout: float, setting: str) -> str:
    """Run without a shell; the first non-empty line of stdout is the token."""
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, ValueError) as exc:
        raise OAuthError(f"{setting}: cannot run the command: {type(exc).__name__}") from None
    except subprocess.TimeoutExpired:
        raise OAuthError(f"{setting}: the command did not finish within {timeout:g}s") from None
    if done.returncode != 0:
        raise OAuthError(f"{setting}: the command exited with status {done.returncode}")
    token = next((line.strip() for line in done.stdout.splitlines() if line.strip()), "")
    if not token:
        raise OAuthError(f"{setting}: the command printed no token")
    return token


def xoauth2_response(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial client response, before base64 (IMAPClient.oauth2_login builds its own)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def xoauth2_base64(user: str, token: str) -> str:
    """Base64 form of the response, as sent on the wire after ``AUTH XOAUTH2``."""
    return base64.b64encode(xoauth2_response(user, token).encode()).decode("ascii")


def tls_context() -> ssl.SSLContext:
    """A client TLS context that verifies the certificate and the host name (never turned off)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx
