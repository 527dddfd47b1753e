"""The daemon loop: lead, connect, fetch batches and have them filed; the courier thread delivers meanwhile.

The order of work per batch (the never-lose, never-duplicate contract) is ``triage.batches``'.
SIGTERM/SIGINT file a batch already read; what was filed is still marked, the rest stays on the server.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import deque
from types import FrameType

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from store.archive import ArchiveError
from store.checkpoints import record_error, sync_uidvalidity, touch_poll
from store.db import session_scope
from store.messages import unfiled
from store.models import utcnow
from store.retention import purge_expired
from triage.batches import Batches, LeadershipLost, StagedBatch
from triage.courier import Courier
from triage.leader import LeaderElector
from triage.mailbox import Source, SourceError, make_source
from triage.metrics import Metrics
from triage.pipeline import PipelineContext
from triage.pipeline.page import page_repeats
from triage.pipeline.process import finish
from triage.pipeline.reading import Arrival, prepare
from triage.pipeline.workers import Extracting, make_extracting
from triage.replies.sender import OutboxSender
from triage.settings import Settings

log = logging.getLogger(__name__)
BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
ONCE_MAX_ATTEMPTS = 5
DELIVER_LIMIT = 100
READ_AHEAD = 2  # batches handed to the worker beyond the one being filed


class Daemon:
    """One mailbox watched by one process (the leader among replicas)."""

    def __init__(
        self, settings: Settings, engine: Engine, source: Source | None = None, sender: OutboxSender | None = None,
        metrics: Metrics | None = None, extraction: Extracting | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.source = source or make_source(settings)
        self.ctx = PipelineContext.build(settings, engine, mailbox=self.source.name, metrics=metrics)
        self.sender = sender or OutboxSender(settings, engine, metrics=metrics)
        self.extraction = extraction or make_extracting(settings, self.ctx, lambda: self.ctx.extractor)
        self.metrics = metrics
        self.leader = LeaderElector(settings, self.source.name)
        self.courier = Courier(self._deliver_as_leader, settings.outbox_poll_seconds)
        self.stop = threading.Event()
        self.batches = Batches(self.ctx, engine, self.source, self.extraction, self.leader, self.stop, metrics)
        self._next_purge = 0.0
        self._warmed = False

    @property
    def processed(self) -> int:
        """Messages filed by this daemon so far."""
        return self.batches.processed

    # --- signals
    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: filing the batch already read, then exiting", signal.Signals(signum).name)
        self.stop.set()

    # --- steps
    def warm_up(self) -> None:
        """Load the extractor before the first mail: at once in-process, in the background with workers.

        Once per daemon: ``run`` calls it, and a caller may call it earlier to overlap model loading
        with its own start-up work.
        """
        if self._warmed:
            return
        self._warmed = True
        try:
            self.extraction.start()
        except Exception:  # a broken model is found again (and filed for review) on the first message
            log.exception("extractor warm-up failed")

    def connect(self) -> None:
        uidvalidity = self.source.open()
        with session_scope(self.engine) as session:
            last_uid, changed = sync_uidvalidity(session, self.source.name, self.source.folder, uidvalidity)
            self.batches.last_uid = last_uid
            record_error(session, self.source.name, self.source.folder, None)
        if changed:
            log.warning("UIDVALIDITY of %s changed to %s: re-scanning the folder (duplicates are skipped by SHA-256)",
                        self.source.folder, uidvalidity, extra={"event": "uidvalidity"})

    def refile_unfiled(self) -> None:
        """Messages archived by a run that died before filing them, and no longer on the server."""
        with session_scope(self.engine) as session:
            rows = list(unfiled(session, self.source.name))
        for row in rows:
            try:
                raw = self.ctx.archive.get(row.sha256)
            except ArchiveError as exc:
                log.error("cannot refile %s: %s", row.sha256[:12], exc)
                continue
            preps = [prepare(self.ctx, Arrival.of(row), raw)]
            [(prep, result)] = self.extraction.readings(self.extraction.submit(preps), preps)
            self.batches.count(finish(self.ctx, row, raw, prep, result))

    def purge(self) -> None:
        """Retention, about every ``retention_interval_seconds`` on the leader; never raises."""
        if self.settings.retention_days <= 0 or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.settings.retention_interval_seconds
        try:
            with session_scope(self.engine) as session:
                report = purge_expired(session, self.settings, utcnow())
        except Exception:
            log.exception("retention purge failed; will retry")
            return
        if report.tickets or report.errors:
            log.info("retention: purged raw mail of %d ticket(s), %d error(s)", report.tickets, len(report.errors),
                     extra={"event": "retention"})

    def _polled(self) -> None:
        with session_scope(self.engine) as session:
            touch_poll(session, self.source.name, self.source.folder)
        if self.metrics:
            self.metrics.poll_succeeded(self.source.name)

    def cycle(self) -> int:
        """Process everything waiting; returns how many messages were filed.

        Batches overlap: up to ``READ_AHEAD`` batches are archived and handed to the worker
        before the oldest is filed and its acknowledgments delivered, so the worker always has
        mail to read while the daemon files, marks and delivers.
        """
        before = self.batches.processed
        waiting: deque[StagedBatch] = deque()
        try:
            for batch in self.source.fetch_batches(self.batches.last_uid, self.settings.batch_size):
                waiting.append(self.batches.stage(batch))
                if len(waiting) > READ_AHEAD:
                    self.batches.complete(waiting.popleft())
                    if self.stop.is_set():
                        return self.batches.processed - before
                    self.acks_due()
            while waiting:
                self.batches.complete(waiting.popleft())
                if self.stop.is_set():
                    return self.batches.processed - before
                if waiting:
                    self.acks_due()
        finally:
            for staged in waiting:  # a stop, an error or a lost leadership: not filed, left on the server
                self.batches.abandon(staged)
        if self.stop.is_set():
            return self.batches.processed - before
        self._polled()
        return self.batches.processed - before

    def acks_due(self) -> None:
        """A batch's acknowledgments are committed: the courier's to send when it runs, else sent here."""
        if self.courier.running:
            self.courier.kick()
        else:
            self.deliver()

    def _deliver_as_leader(self) -> int:
        """The courier's round: only the mailbox's leader delivers and repeats pages."""
        return self.deliver() if self.leader.is_leader else 0

    def drain(self) -> None:
        """Before exiting (``--once``): the courier ends its round, then whatever is due is sent here."""
        self.courier.close()
        self.deliver()

    def deliver(self) -> int:
        """Repeat due pages, then send what the outbox has due; never raises."""
        page_repeats(self.ctx)
        sent = 0
        try:
            while True:
                n = self.sender.deliver_due(limit=DELIVER_LIMIT)
                sent += n
                if n < DELIVER_LIMIT or self.stop.is_set():
                    break
        except Exception:
            log.exception("outbox delivery failed; will retry")
        return sent

    def idle(self) -> None:
        """Wait for new mail (IDLE or polling); without the courier, deliver the outbox meanwhile."""
        next_poll = time.monotonic() + self.settings.poll_seconds
        while not self.stop.is_set():
            left = next_poll - time.monotonic()
            if left <= 0:
                return
            if self.courier.running:
                woke = self.source.wait_for_mail(left, self.stop)
            else:
                woke = self.source.wait_for_mail(min(left, self.settings.outbox_poll_seconds), self.stop)
                self.deliver()
            if woke:
                return

    # --- loop
    def run(self, once: bool = False) -> int:
        """Run until stopped (or, with ``once``, until the mailbox is drained); returns an exit status."""
        try:
            self.warm_up()
            self.courier.start()
            return self._loop(once)
        finally:
            self.courier.close()
            self.extraction.close()
            self.source.close()
            self.leader.release()
            log.info("daemon stopped after filing %d messages", self.processed)

    def _lead(self, once: bool) -> bool:
        """Become the mailbox's leader (at once when alone); False when stopped first, or with ``once``."""
        if self.leader.try_acquire():
            return True
        log.info("another replica leads mailbox %s%s", self.source.name, "" if once else ": waiting as a follower")
        return False if once else self.leader.wait(self.stop)

    def _loop(self, once: bool) -> int:
        backoff, failures, connected, refiled = BACKOFF_START, 0, False, False
        while not self.stop.is_set():
            if not self._lead(once):
                return 0
            try:
                if not connected:
                    self.connect()
                    if failures:
                        log.debug("reconnected after %d attempts", failures)
                    connected, failures, backoff = True, 0, BACKOFF_START
                if not refiled:
                    self.refile_unfiled()
                    refiled = True
                self.cycle()
                if once:
                    self.drain()
                else:
                    self.acks_due()
                self.purge()
                if once:
                    break
                self.idle()
            except LeadershipLost:
                log.error("lost the leadership of %s: stopping work until it is regained", self.source.name)
                self.source.close()
                connected = False
            except Exception as exc:  # connection loss, database outage, or a bug: never exit the loop
                self.source.close()
                connected = False
                failures += 1
                if failures == 1:  # one line per incident, not per retry
                    if self.metrics:
                        self.metrics.imap_reconnect(self.source.name)
                    expected = isinstance(exc, (SourceError, SQLAlchemyError, OSError))
                    log.warning("connection lost (%s: %s); reconnecting with backoff", type(exc).__name__,
                                str(exc)[:300], exc_info=not expected, extra={"event": "reconnect"})
                if once and failures >= ONCE_MAX_ATTEMPTS:
                    log.error("giving up after %d attempts", failures)
                    return 1
                self.stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
        return 0
