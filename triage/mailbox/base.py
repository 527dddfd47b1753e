"""The ``Source`` protocol the daemon drives, and the fetched-message record."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class SourceError(Exception):
    """The connection to the mail source failed; the daemon reconnects with backoff."""


@dataclass(frozen=True)
class Fetched:
    """One message as fetched: its bytes and where it came from."""

    raw: bytes
    folder: str
    uid: int | None = None
    uidvalidity: int | None = None
    internaldate: datetime | None = None
    key: str = ""  # the Maildir file name, or the UID as text


class Source(Protocol):
    """A mailbox the daemon reads; every method may raise ``SourceError`` on connection loss."""

    name: str
    folder: str

    def open(self) -> int | None:
        """Connect and select the folder; return its UIDVALIDITY (None when UIDs do not apply)."""
        ...

    def fetch_batches(self, after_uid: int, batch_size: int) -> Iterator[list[Fetched]]:
        """Messages not yet processed, oldest first, in batches."""
        ...

    def mark_processed(self, item: Fetched) -> None:
        """Move (or flag) a message whose ticket is committed, so it is not fetched again."""
        ...

    def mark_processed_many(self, items: list[Fetched]) -> None:
        """``mark_processed`` for several messages at once (one server round trip where possible)."""
        ...

    def wait_for_mail(self, timeout: float, stop: threading.Event) -> bool:
        """Block until new mail may be there, ``timeout`` passes, or ``stop`` is set; True when woken by mail."""
        ...

    def close(self) -> None: ...
