"""The daemon loop: fetch, file, mark processed; deliver the outbox between batches and while idle.

Order per batch (the never-lose, never-duplicate contract):
archive the batch + commit -> read each message (parse/classify/extract, in the worker) ->
file them all (thread/file/queue ack) + ONE commit (a failure: each message alone) -> mark the
batch processed on the server (one UID MOVE) -> advance the checkpoint. A crash anywhere
re-fetches the message on restart, and the raw bytes' SHA-256 says how far it got.
SIGTERM/SIGINT file what was read; what was filed is still marked, the rest stays on the server.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import FrameType

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from store.archive import ArchiveError
from store.checkpoints import advance, record_error, sync_uidvalidity, touch_poll
from store.db import session_scope
from store.durable import sync_database
from store.messages import unfiled
from store.models import RawMessage, utcnow
from store.retention import purge_expired
from triage.leader import LeaderElector
from triage.mailbox import Source, SourceError, make_source
from triage.mailbox.base import Fetched
from triage.metrics import Metrics
from triage.pipeline import Outcome, PipelineContext
from triage.pipeline.archive import archive_batch
from triage.pipeline.page import page_repeats
from triage.pipeline.process import Filing, finish, finish_many
from triage.pipeline.reading import Arrival
from triage.pipeline.workers import Ready, make_extracting
from triage.replies.sender import OutboxSender
from triage.settings import Settings

log = logging.getLogger(__name__)
BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
ONCE_MAX_ATTEMPTS = 5
DELIVER_LIMIT = 100


@dataclass
class Staged:
    """One message of a staged batch: archived, its reading (parse, classify, extract) under way."""

    item: Fetched
    row: RawMessage
    future: Future[Ready] | None = None  # None: filed by an earlier run, only to be marked


@dataclass
class StagedBatch:
    """A batch archived and handed to extraction; filed later, while the next batch is extracted."""

    entries: list[Staged] = field(default_factory=list)


class LeadershipLost(Exception):
    """Another replica holds the mailbox now: stop fetching and wait to lead again."""


class Daemon:
    """One mailbox watched by one process (the leader among replicas)."""

    def __init__(
        self, settings: Settings, engine: Engine, source: Source | None = None, sender: OutboxSender | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.source = source or make_source(settings)
        self.ctx = PipelineContext.build(settings, engine, mailbox=self.source.name, metrics=metrics)
        self.sender = sender or OutboxSender(settings, engine, metrics=metrics)
        self.extraction = make_extracting(settings, self.ctx, lambda: self.ctx.extractor)
        self.metrics = metrics
        self.leader = LeaderElector(settings, self.source.name)
        self.stop = threading.Event()
        self.processed = 0
        self._last_uid = 0
        self._next_purge = 0.0
        self._warmed = False

    # --- signals
    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: filing the messages already read, then exiting", signal.Signals(signum).name)
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
            self._last_uid, changed = sync_uidvalidity(session, self.source.name, self.source.folder, uidvalidity)
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
            arrival = Arrival.of(row)
            prep, result = self.extraction.result(self.extraction.submit(raw, arrival), raw, arrival)
            self._count(finish(self.ctx, row, raw, prep, result))

    def stage(self, batch: list[Fetched]) -> StagedBatch:
        """Archive the batch (one commit) and hand each new message to be read (parsed, classified, extracted)."""
        staged = StagedBatch()
        if not batch:
            return staged
        if not self.leader.check():
            raise LeadershipLost(self.source.name)
        if self.metrics:
            for _ in batch:
                self.metrics.fetched(self.source.name)
        with self.ctx.timed_batch("archive", len(batch)):
            rows = archive_batch(self.ctx, batch)
        for item, row in zip(batch, rows, strict=True):
            entry = Staged(item, row)
            if row.state == "archived":
                entry.future = self.extraction.submit(item.raw, Arrival.of(row))
            staged.entries.append(entry)
        return staged

    def complete(self, staged: StagedBatch) -> None:
        """File the staged messages (one transaction), then mark them processed and checkpoint once.

        The reading of each message is awaited in order; a stop request while waiting ends the
        batch early: what was read is still filed and marked, the rest stays on the server. A lost
        leadership files nothing more. Any other failure leaves the batch's messages on the server:
        they are fetched again, and their SHA-256 rows say how far each got.
        """
        handled: list[tuple[Fetched, RawMessage]] = []
        to_file: list[Filing] = []
        try:
            for n, entry in enumerate(staged.entries):
                if self.stop.is_set():
                    self.abandon(StagedBatch(staged.entries[n:]))
                    break
                if entry.future is not None:
                    with self.ctx.timed("read_wait"):  # the time filing waited for the worker
                        prep, result = self.extraction.result(entry.future, entry.item.raw, Arrival.of(entry.row))
                    to_file.append((entry.row, entry.item.raw, prep, result))
                handled.append((entry.item, entry.row))
            if to_file and not self.leader.check():
                handled = [(item, row) for item, row in handled if row.state != "archived"]
                raise LeadershipLost(self.source.name)
            for outcome in finish_many(self.ctx, to_file):
                self._count(outcome)
                self.processed += 1
        except LeadershipLost:
            self._settle(handled)
            raise
        self._settle(handled)

    def abandon(self, staged: StagedBatch) -> None:
        """Stopping: cancel pending extractions and forget unfiled archive rows (the mail stays on the server)."""
        for entry in staged.entries:
            if entry.future is not None:
                entry.future.cancel()
        self._release([entry.row for entry in staged.entries])

    def handle_batch(self, batch: list[Fetched]) -> None:
        """Archive, file and mark one batch (no overlap with another batch)."""
        self.complete(self.stage(batch))

    def _release(self, rows: list[RawMessage]) -> None:
        """Stopping mid-batch: forget the archive rows of messages not filed (they stay on the server)."""
        ids = [row.id for row in rows if row.id is not None and row.state == "archived"]
        if ids:
            with session_scope(self.engine) as session:
                session.execute(
                    delete(RawMessage).where(col(RawMessage.id).in_(ids), col(RawMessage.state) == "archived")
                )

    def _settle(self, handled: list[tuple[Fetched, RawMessage]]) -> None:
        """Mark processed on the server (one round trip), then rows 'done' and the checkpoint (one commit)."""
        if not handled:
            return
        sync_database(self.engine)  # the batch's tickets survive a power cut before its mail leaves the folder
        self.source.mark_processed_many([item for item, row in handled if row.state != "done"])
        uids = [item.uid for item, _ in handled if item.uid is not None]
        with session_scope(self.engine) as session:
            ids = [row.id for _, row in handled if row.id is not None]
            session.execute(
                update(RawMessage).where(col(RawMessage.id).in_(ids), col(RawMessage.state) == "filed")
                .values(state="done")
            )
            if uids:
                advance(session, self.source.name, self.source.folder, max(uids))
        if uids:
            self._last_uid = max(self._last_uid, *uids)

    def _count(self, outcome: Outcome) -> None:
        if self.metrics is None:
            return
        if outcome.new_ticket:
            self.metrics.ticket_filed(outcome.request_type)
        if outcome.decision.startswith("no ack"):
            self.metrics.acknowledgment("suppressed")

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

        Batches overlap: batch k+1 is archived and handed to extraction before batch k is filed
        and its acknowledgments delivered, so the extraction worker never waits for the filing.
        """
        before = self.processed
        waiting: StagedBatch | None = None
        try:
            for batch in self.source.fetch_batches(self._last_uid, self.settings.batch_size):
                staged = self.stage(batch)
                if waiting is not None:
                    self.complete(waiting)
                    waiting = None
                    if self.stop.is_set():
                        self.abandon(staged)
                        return self.processed - before
                    self.deliver()
                waiting = staged
            if waiting is not None:
                self.complete(waiting)
                waiting = None
        finally:
            if waiting is not None:  # an error or a lost leadership between two batches
                self.abandon(waiting)
        if self.stop.is_set():
            return self.processed - before
        self._polled()
        return self.processed - before

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
        """Wait for new mail (IDLE or polling), delivering the outbox meanwhile."""
        next_poll = time.monotonic() + self.settings.poll_seconds
        while not self.stop.is_set():
            left = next_poll - time.monotonic()
            if left <= 0:
                return
            woke = self.source.wait_for_mail(min(left, self.settings.outbox_poll_seconds), self.stop)
            self.deliver()
            if woke:
                return

    # --- loop
    def run(self, once: bool = False) -> int:
        """Run until stopped (or, with ``once``, until the mailbox is drained); returns an exit status."""
        try:
            self.warm_up()
            return self._loop(once)
        finally:
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
                self.deliver()
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
