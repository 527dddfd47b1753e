"""The extractor: runs the components named in ``pipeline.json`` in order on each message."""

from __future__ import annotations

import importlib
import json
import logging
import math
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from nlp.registry import Component, Doc, build
from nlp.types import Extraction, MessageInput, NlpConfig

log = logging.getLogger(__name__)
PIPELINE_FILE = Path(__file__).with_name("pipeline.json")


class TimeBudgetExceeded(BaseException):
    """Raised by the interval timer inside a component that overran the message's budget.

    A BaseException, so a component's own ``except Exception`` cannot swallow it.
    """


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeBudgetExceeded()


@contextmanager
def hard_budget(seconds: float) -> Iterator[bool]:
    """Interrupt the caller after ``seconds`` (main thread only); yields whether it is armed.

    The previous SIGALRM handler and any running ITIMER_REAL are restored afterwards.
    """
    in_main = threading.current_thread() is threading.main_thread()
    if not 0 < seconds < math.inf or not in_main or not hasattr(signal, "setitimer"):
        yield False
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    started = time.monotonic()
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay > 0:
            left = max(old_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


class Extractor:
    """Loads data files and models once; ``extract`` is then cheap per message."""

    def __init__(self, config: NlpConfig | None = None) -> None:
        self.config = config or NlpConfig()
        names: list[str] = json.loads(PIPELINE_FILE.read_text())["components"]
        self.resources: dict[str, Any] = {}
        self.components: list[tuple[str, Component]] = []
        for name in names:
            importlib.import_module(f"nlp.components.{name}")
            self.components.append((name, build(name, self.config, self.resources)))

    def extract(self, msg: MessageInput, budget: float | None = None) -> Extraction:
        """Extract every field of one message. Never raises for bad content: errors go to ``errors``.

        Over the time budget the result is what was extracted so far, ``truncated`` and the error
        stated. In the main thread a timer interrupts even a hung component; elsewhere the budget
        is checked between components. ``budget`` overrides the configured one (``math.inf``: none).
        """
        doc = Doc(msg=msg, result=Extraction())
        budget = self.config.time_budget_seconds if budget is None else budget
        try:
            with hard_budget(budget):
                self._run(doc, budget)
        except TimeBudgetExceeded:
            self._over_budget(doc, budget, "while finishing")
        doc.result.texts = doc.texts
        return doc.result

    def _run(self, doc: Doc, budget: float) -> None:
        started = time.monotonic()
        for name, component in self.components:
            if time.monotonic() - started > budget:
                self._over_budget(doc, budget, f"before {name}")
                return
            try:
                component(doc)
            except TimeBudgetExceeded:
                self._over_budget(doc, budget, f"in {name}")
                return
            except Exception as exc:  # one component's failure must not lose the others' work
                log.exception("component %s failed", name)
                doc.result.errors.append(f"{name}: {type(exc).__name__}: {exc}")

    @staticmethod
    def _over_budget(doc: Doc, budget: float, where: str) -> None:
        if any(e.startswith("time budget") for e in doc.result.errors):
            return
        log.warning("time budget of %gs exceeded %s: later components skipped", budget, where)
        doc.result.errors.append(f"time budget of {budget:g}s exceeded {where}")
        doc.result.truncated = True

    def extract_many(self, msgs: Iterable[MessageInput]) -> Iterator[Extraction]:
        for msg in msgs:
            yield self.extract(msg)
