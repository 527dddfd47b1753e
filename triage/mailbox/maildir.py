"""A local Maildir as the mail source (``TRIAGE_SOURCE=maildir:PATH``).

Processed files are moved into the ``.Processed`` sub-maildir (Maildir++ layout), which is
what the IMAP source's MOVE does on a server.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from triage.mailbox.base import Fetched, SourceError

log = logging.getLogger(__name__)
PROCESSED = ".Processed"


class MaildirSource:
    """Reads ``new/`` and ``cur/`` of a Maildir, oldest delivery first."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"maildir:{self.path.name}"
        self.folder = "INBOX"

    def open(self) -> int | None:
        if not self.path.is_dir():
            raise SourceError(f"Maildir {self.path} does not exist")
        for sub in ("new", "cur", "tmp"):
            (self.path / sub).mkdir(exist_ok=True)
            (self.path / PROCESSED / sub).mkdir(parents=True, exist_ok=True)
        return None

    def _pending(self) -> list[Path]:
        files = [p for sub in ("new", "cur") for p in (self.path / sub).iterdir() if p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def fetch_batches(self, after_uid: int, batch_size: int) -> Iterator[list[Fetched]]:
        batch: list[Fetched] = []
        for path in self._pending():
            try:
                raw = path.read_bytes()
                mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except FileNotFoundError:  # moved by another reader meanwhile
                continue
            batch.append(Fetched(raw=raw, folder=self.folder, internaldate=mtime, key=str(path)))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def mark_processed(self, item: Fetched) -> None:
        src = Path(item.key)
        base = src.name.split(":", 1)[0]
        dest = self.path / PROCESSED / "cur" / f"{base}:2,S"
        try:
            os.replace(src, dest)
        except FileNotFoundError:
            log.info("maildir file %s already moved", src.name)

    def mark_processed_many(self, items: list[Fetched]) -> None:
        for item in items:
            self.mark_processed(item)

    def wait_for_mail(self, timeout: float, stop: threading.Event) -> bool:
        stop.wait(timeout)
        return False

    def close(self) -> None:
        return None
