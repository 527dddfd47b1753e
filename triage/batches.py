"""Batches from fetch to checkpoint: the never-lose, never-duplicate order of the daemon's work.

archive the batch + commit -> parse and classify each message -> extract (in the worker) ->
file them all (thread/file/queue ack) + ONE commit (a failure: each message alone) -> mark the
batch processed on the server (one UID MOVE) -> advance the checkpoint. A crash anywhere
re-fetches the message on restart, and the raw bytes' SHA-256 says how far it got. A stop
request files a batch already read; the rest stays on the server.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from store.checkpoints import advance
from store.db import session_scope
from store.durable import sync_database
from store.models import RawMessage
from triage.leader import LeaderElector
from triage.mailbox import Source
from triage.mailbox.base import Fetched
from triage.metrics import Metrics
from triage.pipeline import Outcome, PipelineContext
from triage.pipeline.archive import archive_batch
from triage.pipeline.process import Filing, finish_many
from triage.pipeline.reading import Arrival, Prepared, prepare
from triage.pipeline.workers import Extracting, Ready, Results

log = logging.getLogger(__name__)
READ_POLL_SECONDS = 0.2  # how often a wait for the worker looks for a stop request


@dataclass
class Staged:
    """One message of a staged batch: archived, and read unless an earlier run filed it."""

    item: Fetched
    row: RawMessage
    read: bool = False  # False: filed by an earlier run, only to be marked


@dataclass
class StagedBatch:
    """A batch archived, parsed and handed to the worker (one task); filed later, while the next batches are read."""

    entries: list[Staged] = field(default_factory=list)
    preps: list[Prepared] = field(default_factory=list)  # the entries with ``read``, parsed and classified, in order
    future: Future[Results] | None = None  # their extractions


class LeadershipLost(Exception):
    """Another replica holds the mailbox now: stop fetching and wait to lead again."""


class Batches:
    """Stages fetched batches (archive, parse, hand to extraction) and completes them (file, mark, checkpoint).

    ``processed`` counts the messages filed; ``last_uid`` is the highest UID checkpointed, where
    the next fetch starts.
    """

    def __init__(self, ctx: PipelineContext, engine: Engine, source: Source, extraction: Extracting,
                 leader: LeaderElector, stop: threading.Event, metrics: Metrics | None = None) -> None:
        self.ctx = ctx
        self.engine = engine
        self.source = source
        self.extraction = extraction
        self.leader = leader
        self.stop = stop
        self.metrics = metrics
        self.processed = 0
        self.last_uid = 0

    def stage(self, batch: list[Fetched]) -> StagedBatch:
        """Archive the batch (one commit), parse and classify each new message, and hand the batch to extraction."""
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
        staged.entries = [Staged(item, row, read=row.state == "archived")
                          for item, row in zip(batch, rows, strict=True)]
        staged.preps = [prepare(self.ctx, Arrival.of(entry.row), entry.item.raw)
                        for entry in staged.entries if entry.read]
        if staged.preps:
            staged.future = self.extraction.submit(staged.preps)
        return staged

    def complete(self, staged: StagedBatch) -> None:
        """File the staged messages (one transaction), then mark them processed and checkpoint once.

        A stop request while the worker still reads the batch leaves the whole batch on the
        server (its archive rows forgotten). A lost leadership files nothing more. Any other
        failure leaves the batch's messages on the server: they are fetched again, and their
        SHA-256 rows say how far each got.
        """
        readings = self._readings(staged)
        if readings is None:
            self.abandon(staged)
            return
        reads = [entry for entry in staged.entries if entry.read]
        to_file: list[Filing] = [(entry.row, entry.item.raw, prep, result)
                                 for entry, (prep, result) in zip(reads, readings, strict=True)]
        handled = [(entry.item, entry.row) for entry in staged.entries]
        try:
            if to_file and not self.leader.check():
                handled = [(entry.item, entry.row) for entry in staged.entries if not entry.read]
                raise LeadershipLost(self.source.name)
            for outcome in finish_many(self.ctx, to_file):
                self.count(outcome)
                self.processed += 1
        except LeadershipLost:
            self._settle(handled)
            raise
        self._settle(handled)

    def _readings(self, staged: StagedBatch) -> list[Ready] | None:
        """The batch's messages with their extractions, in order; None when a stop request came first."""
        if staged.future is None:
            return []
        with self.ctx.timed("read_wait"):  # the time filing waited for the worker
            while not staged.future.done():
                if self.stop.is_set():
                    return None
                wait_for([staged.future], timeout=READ_POLL_SECONDS)
        return self.extraction.readings(staged.future, staged.preps)

    def abandon(self, staged: StagedBatch) -> None:
        """Stopping: cancel the pending reading and forget unfiled archive rows (the mail stays on the server)."""
        if staged.future is not None:
            staged.future.cancel()
        self._release([entry.row for entry in staged.entries])

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
            self.last_uid = max(self.last_uid, *uids)

    def count(self, outcome: Outcome) -> None:
        if self.metrics is None:
            return
        if outcome.new_ticket:
            self.metrics.ticket_filed(outcome.request_type)
        if outcome.decision.startswith("no ack"):
            self.metrics.acknowledgment("suppressed")
