"""The processing steps of one message, as small named units: archive, read (parse, classify,
extract), file, acknowledge. ``run_item`` chains them for one fetched message.

The names below load on first use: an extraction worker imports ``triage.pipeline.reading``
without the database layer that the filing steps need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.pipeline.archive import archive_fetched
    from triage.pipeline.context import PipelineContext
    from triage.pipeline.process import Outcome, process_raw, run_item

_HOMES = {
    "Outcome": "triage.pipeline.process",
    "process_raw": "triage.pipeline.process",
    "run_item": "triage.pipeline.process",
    "PipelineContext": "triage.pipeline.context",
    "archive_fetched": "triage.pipeline.archive",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Outcome", "PipelineContext", "archive_fetched", "process_raw", "run_item"]
