"""What every pipeline step needs, built once by the daemon or a CLI command."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from nlp.extractor import Extractor
from store.archive import Archive
from triage.extraction import build_extractor
from triage.settings import Settings


@dataclass
class PipelineContext:
    """Settings, database engine, raw archive and (lazily) the extractor."""

    settings: Settings
    engine: Engine
    archive: Archive
    mailbox: str = "default"
    _extractor: Extractor | None = field(default=None, repr=False)

    @classmethod
    def build(cls, settings: Settings, engine: Engine, mailbox: str = "default") -> PipelineContext:
        return cls(settings=settings, engine=engine, archive=Archive(settings.archive_dir), mailbox=mailbox)

    @property
    def extractor(self) -> Extractor:
        """Loaded on first use: gazetteers and spaCy models are not needed to start."""
        if self._extractor is None:
            self._extractor = build_extractor(self.settings)
        return self._extractor
