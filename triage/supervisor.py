"""``triage run`` with several mailboxes: one child process per mailbox, supervised.

Processes, not threads: each child has its own signal handling, its own leader lock and its
own IMAP/SMTP connections, exactly like a single-mailbox ``triage run``. The parent forwards
SIGTERM/SIGINT to its children and waits for them; a child that dies is restarted with
backoff; with ``once`` every child runs once and the worst exit status is returned.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)
RESTART_START = 1.0
RESTART_MAX = 60.0
HEALTHY_AFTER = 60.0  # a child that ran this long before dying restarts without accumulated backoff
STOP_GRACE = 9.5  # children get this long after SIGTERM (they finish the message in hand), then SIGKILL
TICK = 0.2


def child_command(name: str, once: bool) -> list[str]:
    """The command line of one mailbox's child: ``triage run --mailbox NAME``."""
    return [sys.executable, "-m", "triage", "run", "--mailbox", name, *(["--once"] if once else [])]


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the supervisor is killed outright (no orphan daemons)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def exit_status(returncode: int) -> int:
    """A child's status as a shell reports it (killed by signal N: 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass
class Child:
    """One mailbox's process and its restart bookkeeping."""

    name: str
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = RESTART_START
    restart_at: float | None = None
    statuses: list[int] = field(default_factory=list)


class Supervisor:
    """Starts, watches, restarts and stops one child process per mailbox."""

    def __init__(
        self, names: Sequence[str], once: bool = False, env: dict[str, str] | None = None,
        command: Callable[[str, bool], list[str]] = child_command,
    ) -> None:
        self.children = [Child(n) for n in names]
        self.once = once
        self.env = env
        self.command = command
        self.stop = threading.Event()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping %d mailbox processes", signal.Signals(signum).name, len(self.children))
        self.stop.set()

    def _start(self, child: Child) -> None:
        child.proc = subprocess.Popen(self.command(child.name, self.once), env=self.env,
                                      preexec_fn=_die_with_parent)
        child.started, child.restart_at = time.monotonic(), None
        log.info("mailbox %s: started process %d", child.name, child.proc.pid, extra={"mailbox": child.name})

    def _reap(self, child: Child) -> None:
        """Note a child's exit; schedule its restart unless running once or stopping."""
        assert child.proc is not None
        rc = child.proc.returncode
        child.statuses.append(exit_status(rc))
        child.proc = None
        if self.once or self.stop.is_set():
            return
        now = time.monotonic()
        if now - child.started >= HEALTHY_AFTER:
            child.backoff = RESTART_START
        child.restart_at = now + child.backoff
        log.warning("mailbox %s: process exited with status %s; restarting in %.0f s", child.name,
                    exit_status(rc), child.backoff, extra={"mailbox": child.name, "event": "child_exit"})
        child.backoff = min(child.backoff * 2, RESTART_MAX)

    def _step(self) -> bool:
        """Reap exits and start due restarts; False once every child is done (``once``)."""
        now = time.monotonic()
        for child in self.children:
            if child.proc is not None and child.proc.poll() is not None:
                self._reap(child)
            if child.proc is None and child.restart_at is not None and now >= child.restart_at:
                try:
                    self._start(child)
                except OSError as exc:  # out of processes or memory: try again later, never exit
                    log.error("mailbox %s: cannot start its process: %s", child.name, exc)
                    child.restart_at = now + child.backoff
                    child.backoff = min(child.backoff * 2, RESTART_MAX)
        return any(c.proc is not None or c.restart_at is not None for c in self.children)

    def _shutdown(self) -> None:
        """SIGTERM to every live child, wait up to STOP_GRACE, SIGKILL whatever is left."""
        live = [c for c in self.children if c.proc is not None]
        for child in live:
            assert child.proc is not None
            child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in live:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                log.error("mailbox %s: no exit %.1f s after SIGTERM; killing it", child.name, STOP_GRACE)
                child.proc.kill()
                child.proc.wait()
            self._reap(child)

    def run(self) -> int:
        """Supervise until stopped (or, with ``once``, until every child exited); the worst status."""
        for child in self.children:
            self._start(child)
        try:
            while not self.stop.is_set() and self._step():
                self.stop.wait(TICK)
        finally:
            self._shutdown()
        statuses = [s for c in self.children for s in c.statuses[-1:]]
        return max(statuses, default=0)


def run_mailboxes(names: Sequence[str], once: bool) -> int:
    """Run one child per mailbox; children skip the migrations the parent already applied."""
    env = dict(os.environ) | {"TRIAGE_AUTO_MIGRATE": "false"}
    supervisor = Supervisor(names, once=once, env=env)
    supervisor.install_signal_handlers()
    return supervisor.run()
