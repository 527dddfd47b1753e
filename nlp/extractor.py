"""The extractor: text preparation, then one small component per field, each adding evidence."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from nlp.types import Extraction, MessageInput, NlpConfig

log = logging.getLogger(__name__)


class Extractor:
    """Loads data files and models once; ``extract`` is then cheap per message."""

    def __init__(self, config: NlpConfig | None = None) -> None:
        self.config = config or NlpConfig()

    def extract(self, msg: MessageInput) -> Extraction:
        """Extract every field of one message. Never raises for bad content: errors go to ``errors``."""
        return Extraction()

    def extract_many(self, msgs: Iterable[MessageInput]) -> Iterator[Extraction]:
        for msg in msgs:
            yield self.extract(msg)
