"""A real IMAP server for tests: Debian's Dovecot on 127.0.0.1, a free port, a temporary Maildir.

Plaintext login is allowed on loopback without TLS. Mail processes run as ``nobody`` when the
tests run as root (Dovecot refuses uid 0), else as the current user. Helpers APPEND
messages, restart the server on the same port and force a UIDVALIDITY change.
Used as a pytest plugin (``pytest_plugins = ["tests.servers.dovecot"]``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "triage", "imap-test-secret"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
{login_users}
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
mail_uid = {mail_user}
mail_gid = {mail_group}
imap_idle_notify_interval = 2 mins
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _live_members(group: int) -> list[int]:
    """Processes of process group ``group`` (from /proc), zombies left out: they hold no socket."""
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == group and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def _mail_user() -> tuple[str, str, str]:
    """(mail user, mail group, login-user lines) for the current privilege."""
    if os.geteuid() == 0:
        return "nobody", "nogroup", "default_login_user = dovenull\ndefault_internal_user = dovecot"
    me = pwd.getpwuid(os.geteuid()).pw_name
    return me, me, f"default_login_user = {me}\ndefault_internal_user = {me}"


class DovecotServer:
    """One Dovecot instance with one account (``USER``/``PASSWORD``)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dvc-"))  # short: unix socket paths are limited
        self.root.chmod(0o755)
        self.host, self.port = "127.0.0.1", _free_port()
        self.user, self.password = USER, PASSWORD
        self.proc: subprocess.Popen[bytes] | None = None
        user, group, login = _mail_user()
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir()
        if os.geteuid() == 0:
            for sub in ("mail", "home"):
                shutil.chown(self.root / sub, user, group)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(root=self.root, port=self.port, mail_user=user, mail_group=group, login_users=login)
        )

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / USER

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"dovecot exited: {err} {self.log()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start listening")

    def stop(self) -> None:
        """Stop the master, which tells its children, then whatever of its process group outlives it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._kill_group()
        self.proc = None

    def _kill_group(self) -> None:
        """SIGKILL every process of the server's group (it leads its own session) and wait until none is left."""
        assert self.proc is not None
        group = self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            self.proc.poll()
            if not _live_members(group):
                return
            time.sleep(0.01)

    def restart(self) -> None:
        """Stop and start again on the same port: every client connection is cut."""
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self) -> IMAPClient:
        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        c.login(self.user, self.password)
        return c

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        c = self.client()
        try:
            for raw in messages:
                c.append(folder, raw)
        finally:
            c.logout()

    def count(self, folder: str = "INBOX") -> int:
        c = self.client()
        try:
            if not c.folder_exists(folder):
                return 0
            return int(c.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])
        finally:
            c.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        c = self.client()
        try:
            return int(c.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            c.logout()

    def change_uidvalidity(self) -> tuple[int, int]:
        """Make Dovecot assign a new UIDVALIDITY to INBOX (as after a server migration)."""
        old = self.uidvalidity()
        self.stop()
        time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
        (self.maildir / "dovecot-uidlist").unlink()
        for extra in self.maildir.glob("dovecot.index*"):
            extra.unlink()
        self.start()
        new = self.uidvalidity()
        assert new != old
        return old, new

    def env(self) -> dict[str, str]:
        """TRIAGE_* variables pointing the daemon at this server."""
        return {
            "TRIAGE_SOURCE": "imap",
            "TRIAGE_IMAP_HOST": self.host,
            "TRIAGE_IMAP_PORT": str(self.port),
            "TRIAGE_IMAP_USER": self.user,
            "TRIAGE_IMAP_PASSWORD": self.password,
            "TRIAGE_IMAP_SSL": "false",
        }

    def cleanup(self) -> None:
        """Kill the server outright: its files go next, so a graceful stop (a second per test) buys nothing."""
        if self.proc is not None and self.proc.poll() is None:
            self._kill_group()
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    """A running Dovecot with an empty INBOX; skipped cleanly when Dovecot is not installed."""
    if not DOVECOT.exists():
        pytest.skip("Dovecot not installed (make system-deps installs dovecot-imapd)")
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
