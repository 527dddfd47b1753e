"""Failed-login throttle per client address, in memory (the per-account lock lives in the database)."""

from __future__ import annotations

import time
from collections import deque
from threading import Lock

WINDOW_SECONDS = 300.0
MAX_FAILURES = 10


class LoginThrottle:
    """At most MAX_FAILURES failed logins per address within WINDOW_SECONDS."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.max_failures

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            if len(self._failures) > 10_000:  # bound memory under a spray of addresses
                self._failures.clear()

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
