"""Extraction in worker processes: same results as in-process, pipelined filing, a dead worker costs nothing."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from nlp.types import Extraction, MessageInput
from store.db import session_scope
from store.models import Ticket
from tests.triage.daemon_helpers import mail
from triage.daemon import Daemon
from triage.extraction import build_extractor
from triage.pipeline import workers
from triage.pipeline.workers import InlineExtraction, WorkerExtraction, make_extracting
from triage.settings import Settings

POISON = "POISON-PILL-FOR-THE-WORKER"
REQUEST = MessageInput(
    subject="Preservation request - ref 2026/778",
    from_address="d.kowalski@police.example",
    text="Pursuant to 18 U.S.C. 2703(f) please preserve all records of the account @target_user "
    "for 90 days. Our reference: 2026/778.",
)


def _extract_or_die(msg: MessageInput) -> Extraction:
    """In a worker: die like a crashed extractor on the poison text, else extract normally."""
    if POISON in (msg.text or ""):
        os._exit(70)
    return workers._extract_in_worker(msg)


class PoisonableWorkers(WorkerExtraction):
    """The product's pool, with a worker function that dies on the poison text (a real process exit)."""

    task = staticmethod(_extract_or_die)


def _settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"extract_workers": 1, "use_spacy": False})


def test_worker_and_inline_extraction_agree(settings: Settings) -> None:
    s = _settings(settings)
    pool = make_extracting(s, lambda: build_extractor(s))
    assert isinstance(pool, WorkerExtraction)
    inline = InlineExtraction(lambda: build_extractor(s))
    try:
        pool.start()
        got = pool.result(pool.submit(REQUEST), REQUEST)
    finally:
        pool.close()
    want = inline.result(inline.submit(REQUEST), REQUEST)
    assert got.request_type == want.request_type == "preservation"
    assert got.case_reference == want.case_reference
    assert got.targets == want.targets and "@target_user" in got.targets
    assert got.errors == want.errors == []


def test_a_dying_worker_is_replaced_and_only_its_message_loses_extraction(settings: Settings) -> None:
    pool = PoisonableWorkers(_settings(settings))
    poison = MessageInput(subject="x", from_address="a@b.example", text=f"hello {POISON}")
    try:
        futures = [(m, pool.submit(m)) for m in (REQUEST, poison, REQUEST, REQUEST)]
        results = [pool.result(f, m) for m, f in futures]
    finally:
        pool.close()
    assert [r.request_type for r in results] == ["preservation", None, "preservation", "preservation"]
    assert results[1].errors == ["extraction failed: the extraction worker process died on this message"]
    assert all(not r.errors for i, r in enumerate(results) if i != 1)


def _maildir(root: Path, raws: list[bytes]) -> Path:
    box = root / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for i, raw in enumerate(raws):
        (box / "new" / f"{i:04d}.eml").write_bytes(raw)
    return box


def test_daemon_files_a_backlog_through_the_worker_without_loading_models_itself(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    subjects = [f"Preservation request {i} - ref 2026/{700 + i}" for i in range(7)]
    body = "Pursuant to 18 U.S.C. 2703(f) please preserve the account @target_user for 90 days.\n"
    box = _maildir(tmp_path, [mail(subject=s, msgid=f"<w{i}@police.example>", body=body)
                              for i, s in enumerate(subjects)])
    s = _settings(settings).model_copy(update={"source": f"maildir:{box}", "batch_size": 3})
    daemon = Daemon(s, engine)
    assert daemon.run(once=True) == 0
    assert daemon.ctx._extractor is None  # the models live in the worker only
    with session_scope(engine) as session:
        tickets = session.exec(select(Ticket)).all()
        assert sorted(t.subject for t in tickets) == sorted(subjects)  # three overlapping batches, all filed once
        assert {t.request_type for t in tickets} == {"preservation"}
    assert daemon.processed == 7
