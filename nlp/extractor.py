"""The extractor: runs the components named in ``pipeline.json`` in order on each message."""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nlp.registry import Component, Doc, build
from nlp.types import Extraction, MessageInput, NlpConfig

log = logging.getLogger(__name__)
PIPELINE_FILE = Path(__file__).with_name("pipeline.json")


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

    def extract(self, msg: MessageInput) -> Extraction:
        """Extract every field of one message. Never raises for bad content: errors go to ``errors``.

        Over the time budget, the remaining components are skipped and the result says so.
        """
        doc = Doc(msg=msg, result=Extraction())
        started = time.monotonic()
        for name, component in self.components:
            if time.monotonic() - started > self.config.time_budget_seconds:
                doc.result.errors.append(f"time budget exceeded before {name}")
                doc.result.truncated = True
                break
            try:
                component(doc)
            except Exception as exc:  # one component's failure must not lose the others' work
                log.exception("component %s failed", name)
                doc.result.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        doc.result.texts = doc.texts
        return doc.result

    def extract_many(self, msgs: Iterable[MessageInput]) -> Iterator[Extraction]:
        for msg in msgs:
            yield self.extract(msg)
