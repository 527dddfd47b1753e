"""Reading (parse, classify, extract) in a worker process, so that it runs on one core while the
daemon files and acknowledges on another.

The daemon submits each message's raw bytes as soon as they are archived and files the results
in arrival order. A worker that dies (a hostile message, the OOM killer) breaks the pool: the
pool is rebuilt and each message in flight is retried once, alone; the one that breaks it
again is filed with the error stated, and the daemon goes on.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import logging
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, TypeVar

from nlp.extractor import Extractor
from nlp.types import Extraction, MessageInput
from triage.extraction import build_extractor, safe_extract
from triage.mime_limits import ParseLimits
from triage.pipeline.reading import Arrival, Prepared, Reading, ReadingContext, prepare, unreadable
from triage.settings import Settings

log = logging.getLogger(__name__)
WARM_UP_MESSAGE = MessageInput(
    subject="Request for subscriber information", from_address="warm-up@invalid.example",
    text="We request subscriber information for the account @example under case 1/2026.",
)
PR_SET_PDEATHSIG = 1
_WORKER: tuple[ReadingContext, Extractor] | None = None  # one per worker process, built by its initializer


Ready = tuple[Prepared, Extraction | None]
T = TypeVar("T")
Item = tuple[bytes, Arrival]  # a message to read: its raw bytes and what the archive knows of its receipt


class Extracting(Protocol):
    """Where messages are read: in the daemon's process, or in worker processes."""

    def start(self) -> None: ...
    def submit(self, raw: bytes, arrival: Arrival) -> Future[Ready]: ...
    def result(self, future: Future[Ready], raw: bytes, arrival: Arrival) -> Ready: ...
    def submit_many(self, items: list[Item]) -> Future[list[Ready]]: ...
    def result_many(self, future: Future[list[Ready]], items: list[Item]) -> list[Ready]: ...
    def close(self) -> None: ...


def read_message(ctx: Reading, extractor: Extractor, raw: bytes, arrival: Arrival) -> Ready:
    """Prepare then extract one message; the NLP input is not sent back (the daemon does not need it)."""
    prep = prepare(ctx, arrival, raw)
    result = None
    if prep.nlp_input is not None:
        with ctx.timed("extract"):
            result = safe_extract(extractor, prep.nlp_input)
        prep.nlp_input = None
    return prep, result


def _done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


class InlineExtraction:
    """``extract_workers = 0``: everything in the daemon's own process, one message at a time."""

    def __init__(self, ctx: Reading, extractor: Callable[[], Extractor]) -> None:
        self.ctx = ctx
        self.extractor = extractor  # built on first use: starting needs no models

    def start(self) -> None:
        started = time.monotonic()
        self.extractor().extract(WARM_UP_MESSAGE, budget=math.inf)  # model loading may take long: never cut
        log.info("extractor ready in %.1fs", time.monotonic() - started, extra={"event": "warm_up"})

    def submit(self, raw: bytes, arrival: Arrival) -> Future[Ready]:
        return _done(read_message(self.ctx, self.extractor(), raw, arrival))

    def result(self, future: Future[Ready], raw: bytes, arrival: Arrival) -> Ready:
        return future.result()

    def submit_many(self, items: list[Item]) -> Future[list[Ready]]:
        return _done([read_message(self.ctx, self.extractor(), raw, arrival) for raw, arrival in items])

    def result_many(self, future: Future[list[Ready]], items: list[Item]) -> list[Ready]:
        return future.result()

    def close(self) -> None:
        pass


def _die_with_parent() -> None:
    """Linux: the kernel kills the worker when the daemon dies, even by SIGKILL; no orphan keeps the models."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        return
    if os.getppid() == 1:  # the daemon died before prctl took effect
        os._exit(1)


def _init_worker(settings: Settings) -> None:
    """Runs once in each worker: signals belong to the daemon (it stops the pool), then the models load."""
    global _WORKER
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    extractor = build_extractor(settings)
    extractor.extract(WARM_UP_MESSAGE, budget=math.inf)
    _WORKER = (ReadingContext(settings, ParseLimits.from_settings(settings)), extractor)
    # At exit (after the pool's own exit work has flushed the results), skip tearing down the
    # models object by object: the worker holds no file or connection, and that took ~0.5 s.
    atexit.register(os._exit, 0)


def _read_in_worker(raw: bytes, arrival: Arrival) -> Ready:
    assert _WORKER is not None, "worker initializer did not run"
    return read_message(*_WORKER, raw, arrival)


def _read_each(task: Callable[[bytes, Arrival], Ready], items: list[Item]) -> list[Ready]:
    """One task for several messages: one round trip to the worker instead of one per message."""
    return [task(raw, arrival) for raw, arrival in items]


def _ping() -> bool:
    return True


class WorkerExtraction:
    """``extract_workers >= 1``: a pool of processes, each with its own extractor (models loaded once)."""

    task: Callable[[bytes, Arrival], Ready] = staticmethod(_read_in_worker)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limits = ParseLimits.from_settings(settings)
        self._pool: ProcessPoolExecutor | None = None
        self._started = 0.0
        self._generation = 0  # bumped by each restart: a future of an older pool never restarts the new one
        self._born: dict[int, int] = {}

    def _make_pool(self) -> ProcessPoolExecutor:
        # spawn: workers start from a clean interpreter, not a copy of the daemon's sockets, locks and threads,
        # and are the daemon's own children (so that they die with it)
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(max_workers=self.settings.extract_workers, mp_context=ctx,
                                   initializer=_init_worker, initargs=(self.settings,))

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = self._make_pool()
        return self._pool

    def start(self) -> None:
        """Start loading the models in the worker(s) and return at once: the daemon connects meanwhile."""
        self._started = time.monotonic()
        self.pool.submit(_ping).add_done_callback(self._ready)

    def _ready(self, future: Future[bool]) -> None:
        if future.exception() is None:
            log.info("extraction worker ready in %.1fs", time.monotonic() - self._started,
                     extra={"event": "warm_up"})
        else:
            log.error("extraction worker failed to start: %s", future.exception())

    def submit(self, raw: bytes, arrival: Arrival) -> Future[Ready]:
        try:
            future = self.pool.submit(self.task, raw, arrival)
        except BrokenProcessPool:
            self._restart()
            future = self.pool.submit(self.task, raw, arrival)
        self._born[id(future)] = self._generation
        return future

    def result(self, future: Future[Ready], raw: bytes, arrival: Arrival) -> Ready:
        """The message read; a dead worker costs a retry, then an error on the ticket, never the daemon."""
        born = self._born.pop(id(future), self._generation)
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError):
            log.warning("extraction worker died; retrying message %s alone in a new worker", arrival.sha256[:12])
        if born == self._generation:
            self._restart()
        return self._alone(raw, arrival)

    def submit_many(self, items: list[Item]) -> Future[list[Ready]]:
        """Several messages as one task (a batch): the worker reads them in order."""
        try:
            future = self.pool.submit(_read_each, self.task, items)
        except BrokenProcessPool:
            self._restart()
            future = self.pool.submit(_read_each, self.task, items)
        self._born[id(future)] = self._generation
        return future

    def result_many(self, future: Future[list[Ready]], items: list[Item]) -> list[Ready]:
        """The messages read, in order; when the worker died, each is retried alone (see ``result``)."""
        born = self._born.pop(id(future), self._generation)
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError):
            log.warning("extraction worker died reading %d messages; retrying each alone in a new worker", len(items))
        if born == self._generation:
            self._restart()
        return [self._alone(raw, arrival) for raw, arrival in items]

    def _alone(self, raw: bytes, arrival: Arrival) -> Ready:
        """One message in a fresh task; the one that kills the worker again is returned unread."""
        try:
            return self.pool.submit(self.task, raw, arrival).result()
        except BrokenProcessPool:
            log.error("extraction worker died again on message %s: filing it unread", arrival.sha256[:12])
            self._restart()
        error = "processing failed: the extraction worker process died while reading this message"
        return unreadable(ReadingContext(self.settings, self.limits), arrival, raw, error), None

    def _restart(self) -> None:
        self._generation += 1
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._make_pool()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._born.clear()


def make_extracting(settings: Settings, ctx: Reading, extractor: Callable[[], Extractor]) -> Extracting:
    """Worker processes when ``extract_workers`` > 0, else ``extractor()`` in this process."""
    if settings.extract_workers > 0:
        return WorkerExtraction(settings)
    return InlineExtraction(ctx, extractor)
