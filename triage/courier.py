"""The outbox's own thread: acknowledgments leave as soon as their batch is committed.

The daemon's loop fetches, archives, parses and files; waiting on the SMTP relay's replies
(three round trips an acknowledgment) used to sit in that loop between batches. Here it
waits beside it: the loop only says when new rows are due (``kick``), and the courier
also delivers on its own every ``outbox_poll_seconds`` (retries, repeat pages). Rows are
claimed before they are sent, so the courier and any other sender never send one twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Courier:
    """Runs ``deliver`` in a thread: when kicked, and every ``poll_seconds`` otherwise."""

    def __init__(self, deliver: Callable[[], int], poll_seconds: float) -> None:
        self._deliver = deliver
        self.poll_seconds = poll_seconds
        self._due = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._closing.clear()
        self._thread = threading.Thread(target=self._run, name="courier")
        self._thread.start()

    def kick(self) -> None:
        """New rows are due: deliver now (or right after the round in progress)."""
        self._due.set()

    def close(self) -> None:
        """Finish the round in progress and stop; what is left is delivered by the next round or run."""
        self._closing.set()
        self._due.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            self._due.wait(self.poll_seconds)
            if self._closing.is_set():
                return
            self._due.clear()
            try:
                self._deliver()
            except Exception:  # deliver never raises by contract; a bug must not end delivery for good
                log.exception("outbox delivery round failed; will retry")
