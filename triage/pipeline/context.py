"""What every pipeline step needs, built once by the daemon or a CLI command."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from nlp.extractor import Extractor
from store.archive import Archive
from triage.extraction import build_extractor
from triage.metrics import Metrics
from triage.mime_limits import ParseLimits
from triage.settings import Settings


@dataclass
class PipelineContext:
    """Settings, database engine, raw archive, parse limits, metrics (optional) and (lazily) the extractor."""

    settings: Settings
    engine: Engine
    archive: Archive
    limits: ParseLimits = field(default_factory=ParseLimits)
    mailbox: str = "default"
    metrics: Metrics | None = None
    _extractor: Extractor | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls, settings: Settings, engine: Engine, mailbox: str = "default", metrics: Metrics | None = None
    ) -> PipelineContext:
        return cls(settings=settings, engine=engine, archive=Archive(settings.archive_dir),
                   limits=ParseLimits.from_settings(settings), mailbox=mailbox, metrics=metrics)

    @property
    def extractor(self) -> Extractor:
        """Loaded on first use: gazetteers and spaCy models are not needed to start."""
        if self._extractor is None:
            self._extractor = build_extractor(self.settings)
        return self._extractor

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Time one pipeline step in the metrics, when the process keeps any."""
        if self.metrics is None:
            yield
            return
        with self.metrics.time_step(step):
            yield

    @contextmanager
    def timed_batch(self, step: str, n: int) -> Iterator[None]:
        """Time a step done once for ``n`` messages: each message is counted with its share."""
        started = time.perf_counter()
        yield
        if self.metrics is not None and n > 0:
            share = (time.perf_counter() - started) / n
            for _ in range(n):
                self.metrics.step_seconds.labels(step).observe(share)
