"""Extraction in a worker process, so that NLP runs on one core while the daemon reads, files and
acknowledges on the other.

The daemon parses and classifies each message (bounded by the MIME limits) and hands the
worker only what NLP reads, a batch as one task; it files the results in arrival order. A
worker that dies (a hostile input, the OOM killer) breaks the pool: the pool is rebuilt and
each message in flight is retried once, alone; the one that breaks it again is filed without
extraction, with the error stated, and the daemon goes on.
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
from typing import TYPE_CHECKING, Protocol, TypeVar

from nlp.extractor import Extractor
from nlp.types import Extraction, MessageInput
from triage.extraction import build_extractor, safe_extract
from triage.settings import Settings

if TYPE_CHECKING:  # the worker extracts only: it never imports the parser
    from triage.pipeline.reading import Prepared, Reading

log = logging.getLogger(__name__)
WARM_UP_MESSAGE = MessageInput(
    subject="Request for subscriber information", from_address="warm-up@invalid.example",
    text="We request subscriber information for the account @example under case 1/2026.",
)
WORKER_DIED = "processing failed: the extraction worker process died while reading this message"
PR_SET_PDEATHSIG = 1
_EXTRACTOR: Extractor | None = None  # one per worker process, built by its initializer

Ready = tuple["Prepared", Extraction | None]
Results = list[Extraction | None]  # one per prepared message of a batch: None where it wants no extraction
T = TypeVar("T")


class Extracting(Protocol):
    """Where prepared messages are extracted: in the daemon's process, or in a worker process."""

    def start(self) -> None: ...
    def submit(self, preps: list[Prepared]) -> Future[Results]: ...
    def readings(self, future: Future[Results], preps: list[Prepared]) -> list[Ready]: ...
    def close(self) -> None: ...


def inputs_of(preps: list[Prepared]) -> list[MessageInput | None]:
    return [prep.nlp_input for prep in preps]


def pair(preps: list[Prepared], results: Results) -> list[Ready]:
    """Each message with its extraction; the NLP input is dropped (filing does not need it)."""
    for prep in preps:
        prep.nlp_input = None
    return list(zip(preps, results, strict=True))


def _done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


class InlineExtraction:
    """``extract_workers = 0``: extraction in the daemon's own process."""

    def __init__(self, ctx: Reading, extractor: Callable[[], Extractor]) -> None:
        self.ctx = ctx
        self.extractor = extractor  # built on first use: starting needs no models

    def start(self) -> None:
        started = time.monotonic()
        self.extractor().extract(WARM_UP_MESSAGE, budget=math.inf)  # model loading may take long: never cut
        log.info("extractor ready in %.1fs", time.monotonic() - started, extra={"event": "warm_up"})

    def _extract(self, msg: MessageInput | None) -> Extraction | None:
        if msg is None:
            return None
        with self.ctx.timed("extract"):
            return safe_extract(self.extractor(), msg)

    def submit(self, preps: list[Prepared]) -> Future[Results]:
        return _done([self._extract(msg) for msg in inputs_of(preps)])

    def readings(self, future: Future[Results], preps: list[Prepared]) -> list[Ready]:
        return pair(preps, future.result())

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
    global _EXTRACTOR
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    extractor = build_extractor(settings)
    extractor.extract(WARM_UP_MESSAGE, budget=math.inf)
    _EXTRACTOR = extractor
    # At exit (after the pool's own exit work has flushed the results), skip tearing down the
    # models object by object: the worker holds no file or connection, and that took ~0.5 s.
    atexit.register(os._exit, 0)


def _extract_in_worker(msg: MessageInput) -> Extraction:
    assert _EXTRACTOR is not None, "worker initializer did not run"
    return safe_extract(_EXTRACTOR, msg)


def _extract_each(task: Callable[[MessageInput], Extraction], inputs: list[MessageInput | None]) -> Results:
    """One task for a batch: one round trip to the worker instead of one per message."""
    return [None if msg is None else task(msg) for msg in inputs]


def _ping() -> bool:
    return True


class WorkerExtraction:
    """``extract_workers >= 1``: a pool of processes, each with its own extractor (models loaded once)."""

    task: Callable[[MessageInput], Extraction] = staticmethod(_extract_in_worker)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
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
        """Start loading the models in the worker(s) and return at once: the daemon connects meanwhile.

        Once: a caller may start the worker early to overlap the loading with its own start-up.
        """
        if self._started:
            return
        self._started = time.monotonic()
        self.pool.submit(_ping).add_done_callback(self._ready)

    def _ready(self, future: Future[bool]) -> None:
        if future.exception() is None:
            log.info("extraction worker ready in %.1fs", time.monotonic() - self._started,
                     extra={"event": "warm_up"})
        else:
            log.error("extraction worker failed to start: %s", future.exception())

    def submit(self, preps: list[Prepared]) -> Future[Results]:
        """A batch as one task (the worker extracts in order); no task when none of it wants NLP."""
        inputs = inputs_of(preps)
        if all(msg is None for msg in inputs):
            return _done([None] * len(inputs))
        try:
            future = self.pool.submit(_extract_each, self.task, inputs)
        except BrokenProcessPool:
            self._restart()
            future = self.pool.submit(_extract_each, self.task, inputs)
        self._born[id(future)] = self._generation
        return future

    def readings(self, future: Future[Results], preps: list[Prepared]) -> list[Ready]:
        """The batch with its extractions, in order; when the worker died, each is retried alone."""
        born = self._born.pop(id(future), self._generation)
        try:
            return pair(preps, future.result())
        except (BrokenProcessPool, CancelledError):
            log.warning("extraction worker died reading %d messages; retrying each alone in a new worker", len(preps))
        if born == self._generation:
            self._restart()
        return pair(preps, [self._alone(prep) for prep in preps])

    def _alone(self, prep: Prepared) -> Extraction | None:
        """One message in a fresh task; the one that kills the worker again is filed unextracted, error stated."""
        if prep.nlp_input is None:
            return None
        try:
            return self.pool.submit(self.task, prep.nlp_input).result()
        except BrokenProcessPool:
            log.error("extraction worker died again on a message from %s: filing it unextracted",
                      prep.parsed.from_address or "(no sender)")
            self._restart()
        prep.error = WORKER_DIED
        return None

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
