"""The IMAP source: UID checkpoints, batched fetch, IDLE with polling fallback, MOVE after commit.

Only UIDs are used (never sequence numbers, which shift on EXPUNGE). Bodies are fetched with
``BODY.PEEK[]`` so that fetching does not mark mail as read for the humans who share the
mailbox. Any socket or protocol failure is raised as ``SourceError`` for the daemon to
reconnect with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from triage.mailbox.base import Fetched, SourceError
from triage.oauth import OAuthError, bearer_token, tls_context
from triage.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
PROCESSED_FLAG = b"$Triaged"
NET_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, EOFError)


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ImapSource:
    """One IMAP folder of one account."""

    def __init__(self, settings: Settings, client_factory: Callable[[], IMAPClient] | None = None) -> None:
        self.settings = settings
        self.folder = settings.imap_folder
        self.name = f"{settings.imap_user}@{settings.imap_host}"
        self._factory = client_factory or self._connect
        self._client: IMAPClient | None = None
        self._idling_since: float | None = None
        self._uidvalidity: int | None = None
        self.capabilities: set[str] = set()

    def _connect(self) -> IMAPClient:
        """Log in with XOAUTH2 when a token source is configured (read afresh each time), else a password."""
        s = self.settings
        ssl_context = tls_context() if s.imap_ssl else None
        client = IMAPClient(s.imap_host, port=s.imap_port, ssl=s.imap_ssl, ssl_context=ssl_context,
                            timeout=s.imap_timeout)
        client.normalise_times = False
        try:
            token = bearer_token(s, "imap")
        except OAuthError as exc:
            client.shutdown()
            raise SourceError(str(exc)) from None
        if token is not None:
            client.oauth2_login(s.imap_user, token)
        else:
            client.login(s.imap_user, s.imap_password.get_secret_value())
        return client

    def _guard(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except NET_ERRORS as exc:
            self._drop()
            raise SourceError(f"{type(exc).__name__}: {exc}") from exc

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise SourceError("not connected")
        return self._client

    def open(self) -> int | None:
        def _open() -> int | None:
            self._client = self._factory()
            self.capabilities = {c.decode().upper() for c in self.client.capabilities()}
            if self.settings.mark_mode == "move" and not self.client.folder_exists(self.settings.processed_folder):
                self.client.create_folder(self.settings.processed_folder)
                log.info("created folder %s", self.settings.processed_folder)
            info = self.client.select_folder(self.folder)
            uidvalidity = info.get(b"UIDVALIDITY")
            self._uidvalidity = int(uidvalidity) if uidvalidity is not None else None
            return self._uidvalidity

        return self._guard(_open)

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities

    def _leave_idle(self) -> None:
        if self._idling_since is not None:
            self._idling_since = None
            self.client.idle_done()

    def fetch_batches(self, after_uid: int, batch_size: int) -> Iterator[list[Fetched]]:
        def _search() -> list[int]:
            self._leave_idle()
            self.client.noop()  # lets the server report mail that arrived since SELECT
            found = self.client.search(["UID", f"{after_uid + 1}:*"])
            return sorted(u for u in found if u > after_uid)  # "n:*" always matches the last UID

        uids = self._guard(_search)
        uidvalidity = self._uidvalidity  # fixed while the folder stays selected (a change forces a new SELECT)
        for start in range(0, len(uids), batch_size):
            chunk = uids[start : start + batch_size]
            data = self._guard(partial(self.client.fetch, chunk, ["BODY.PEEK[]", "INTERNALDATE"]))
            batch = []
            for uid in chunk:
                item = data.get(uid)
                if item is None or b"BODY[]" not in item:
                    continue  # expunged by someone else between SEARCH and FETCH
                batch.append(
                    Fetched(
                        raw=bytes(item[b"BODY[]"]),
                        folder=self.folder,
                        uid=uid,
                        uidvalidity=uidvalidity,
                        internaldate=_utc(item.get(b"INTERNALDATE")),
                        key=str(uid),
                    )
                )
            yield batch

    def mark_processed(self, item: Fetched) -> None:
        self.mark_processed_many([item])

    def mark_processed_many(self, items: list[Fetched]) -> None:
        """One UID MOVE (or COPY/STORE/EXPUNGE) for a whole batch whose tickets are committed."""
        uids = [item.uid for item in items if item.uid is not None]
        if len(uids) != len(items):
            raise ValueError("IMAP messages are marked by UID")
        if uids:
            self._guard(lambda: self._mark(uids))

    def _mark(self, uids: list[int]) -> None:
        self._leave_idle()
        c, dest = self.client, self.settings.processed_folder
        if self.settings.mark_mode == "flag":
            c.add_flags(uids, [PROCESSED_FLAG], silent=True)
        elif self.has("MOVE"):
            c.move(uids, dest)
        else:
            c.copy(uids, dest)
            c.add_flags(uids, [b"\\Deleted"], silent=True)
            if self.has("UIDPLUS"):
                c.uid_expunge(uids)
            else:  # a bare EXPUNGE would also remove other clients' \Deleted mail
                log.warning("server lacks UIDPLUS: message left flagged \\Deleted in %s", self.folder)

    def wait_for_mail(self, timeout: float, stop: threading.Event) -> bool:
        if not self.has("IDLE"):
            stop.wait(timeout)
            return False
        return self._guard(lambda: self._idle_wait(timeout, stop))

    def _idle_wait(self, timeout: float, stop: threading.Event) -> bool:
        """Stay in IDLE across calls; re-issue it before ``idle_seconds`` (RFC 2177: < 29 min)."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            now = time.monotonic()
            if self._idling_since is not None and now - self._idling_since >= self.settings.idle_seconds:
                self._leave_idle()
            if self._idling_since is None:
                self.client.idle()
                self._idling_since = now
            left = deadline - now
            if left <= 0:
                return False
            responses = self.client.idle_check(timeout=min(1.0, left))
            if any(len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                self._leave_idle()
                return True
        return False

    def _drop(self) -> None:
        client, self._client, self._idling_since = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):  # the socket is already gone
                client.shutdown()

    def close(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            self._leave_idle()
            client.logout()
        except Exception:
            pass
        finally:
            self._drop()
