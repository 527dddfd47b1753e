"""The processing steps of one message, as small named units: archive, parse, classify,
thread, extract, file, acknowledge. ``run_item`` chains them for one fetched message."""

from __future__ import annotations

from store.models import RawMessage
from triage.mailbox.base import Fetched
from triage.pipeline.archive import archive_fetched
from triage.pipeline.context import PipelineContext
from triage.pipeline.process import Outcome, process_raw


def run_item(ctx: PipelineContext, item: Fetched) -> Outcome | None:
    """Archive then file one fetched message; None when it was already filed before."""
    row: RawMessage = archive_fetched(ctx, item)
    if row.state != "archived":
        return None
    return process_raw(ctx, row, item.raw)


__all__ = ["Outcome", "PipelineContext", "archive_fetched", "process_raw", "run_item"]
