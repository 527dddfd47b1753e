"""Extraction in worker processes: same results as in-process, pipelined filing, a dead worker costs one message."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from nlp.types import Extraction, MessageInput
from store.db import session_scope
from store.models import Ticket, utcnow
from tests.triage.daemon_helpers import mail, maildir_with
from triage.daemon import Daemon
from triage.extraction import build_extractor
from triage.mime_limits import ParseLimits
from triage.pipeline import workers
from triage.pipeline.reading import Arrival, Prepared, ReadingContext, prepare
from triage.pipeline.workers import WORKER_DIED, InlineExtraction, Ready, WorkerExtraction, make_extracting
from triage.settings import Settings

POISON = b"POISON-PILL-FOR-THE-WORKER"
REQUEST = mail(
    subject="Preservation request - ref 2026/778", sender="d.kowalski@police.example",
    body="Pursuant to 18 U.S.C. 2703(f) please preserve all records of the account @target_user "
    "for 90 days. Our reference: 2026/778.\n",
)
ARRIVAL = Arrival("0" * 64, internaldate=utcnow())


def _extract_or_die(msg: MessageInput) -> Extraction:
    """In a worker: die like a crashed model on the poison subject, else extract normally."""
    if POISON.decode() in msg.subject:
        os._exit(70)
    return workers._extract_in_worker(msg)


class PoisonableWorkers(WorkerExtraction):
    """The product's pool, with a worker function that dies on the poison bytes (a real process exit)."""

    task = staticmethod(_extract_or_die)


def _settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"extract_workers": 1, "use_spacy": False})


def _prepared(settings: Settings, *raws: bytes) -> list[Prepared]:
    """The messages as the daemon hands them to extraction: parsed and classified."""
    ctx = ReadingContext(settings, ParseLimits.from_settings(settings))
    return [prepare(ctx, ARRIVAL, raw) for raw in raws]


def _read(pool: InlineExtraction | WorkerExtraction, preps: list[Prepared]) -> list[Ready]:
    return pool.readings(pool.submit(preps), preps)


def test_worker_and_inline_reading_agree(settings: Settings) -> None:
    s = _settings(settings)
    limits = ParseLimits.from_settings(s)
    pool = make_extracting(s, ReadingContext(s, limits), lambda: build_extractor(s))
    assert isinstance(pool, WorkerExtraction)
    inline = InlineExtraction(ReadingContext(s, limits), lambda: build_extractor(s))
    try:
        pool.start()
        [(got_prep, got)] = _read(pool, _prepared(s, REQUEST))
    finally:
        pool.close()
    [(want_prep, want)] = _read(inline, _prepared(s, REQUEST))
    assert got_prep.nlp_input is None  # dropped once extracted: filing does not need it
    assert got_prep.parsed == want_prep.parsed and got_prep.mail_class == want_prep.mail_class == "human"
    assert got is not None and want is not None
    assert got.request_type == want.request_type == "preservation"
    assert got.case_reference == want.case_reference
    assert got.targets == want.targets and "@target_user" in got.targets
    assert got.errors == want.errors == []


def test_a_dying_worker_is_replaced_and_only_its_message_goes_unread(settings: Settings) -> None:
    s = _settings(settings)
    pool = PoisonableWorkers(s)
    poison = mail(subject=f"Poisoned {POISON.decode()}")
    try:
        batches = [_prepared(s, raw) for raw in (REQUEST, poison, REQUEST, REQUEST)]
        futures = [(preps, pool.submit(preps)) for preps in batches]
        results = [pool.readings(f, preps)[0] for preps, f in futures]
    finally:
        pool.close()
    assert [r.request_type if r else None for _, r in results] == ["preservation", None, "preservation",
                                                                   "preservation"]
    prep, _ = results[1]
    assert prep.parsed.subject == f"Poisoned {POISON.decode()}"  # parsed in the daemon, for the review ticket
    assert prep.error == WORKER_DIED
    assert WORKER_DIED == "processing failed: the extraction worker process died while reading this message"
    assert all(p.error is None for i, (p, _) in enumerate(results) if i != 1)


def test_daemon_files_a_backlog_through_the_worker_without_loading_models_itself(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    subjects = [f"Preservation request {i} - ref 2026/{700 + i}" for i in range(7)]
    body = "Pursuant to 18 U.S.C. 2703(f) please preserve the account @target_user for 90 days.\n"
    box = maildir_with(tmp_path, [mail(subject=s, msgid=f"<w{i}@police.example>", body=body)
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


def test_a_batch_is_read_in_one_task_and_in_order(settings: Settings) -> None:
    s = _settings(settings)
    other = mail(subject="Data disclosure request - case 2026/5", body="We request the subscriber data of @x.\n")
    pool = WorkerExtraction(s)
    try:
        got = _read(pool, _prepared(s, REQUEST, other, REQUEST))
    finally:
        pool.close()
    inline = InlineExtraction(ReadingContext(s, ParseLimits.from_settings(s)), lambda: build_extractor(s))
    want = _read(inline, _prepared(s, REQUEST, other, REQUEST))
    assert [p.parsed.subject for p, _ in got] == [p.parsed.subject for p, _ in want] == [
        "Preservation request - ref 2026/778", "Data disclosure request - case 2026/5",
        "Preservation request - ref 2026/778"]
    assert [r.request_type if r else None for _, r in got] == [r.request_type if r else None for _, r in want]


def test_a_worker_dying_in_a_batch_costs_only_the_poisoned_message(settings: Settings) -> None:
    s = _settings(settings)
    pool = PoisonableWorkers(s)
    poison = mail(subject=f"Poisoned {POISON.decode()}")
    first, second = _prepared(s, REQUEST, poison, REQUEST), _prepared(s, REQUEST)
    try:
        futures = [pool.submit(first), pool.submit(second)]  # the second is in flight when it dies
        results = [pool.readings(futures[0], first), pool.readings(futures[1], second)]
    finally:
        pool.close()
    flat = results[0] + results[1]
    assert [r.request_type if r else None for _, r in flat] == ["preservation", None, "preservation",
                                                                "preservation"]
    assert flat[1][0].error == WORKER_DIED
    assert all(p.error is None for i, (p, _) in enumerate(flat) if i != 1)


def test_a_batch_of_machine_mail_never_reaches_the_worker(settings: Settings) -> None:
    """Bounces and auto-replies want no NLP: their batch costs the worker no task at all."""
    s = _settings(settings)
    bounce = mail(subject="Undelivered Mail Returned to Sender", sender="MAILER-DAEMON@police.example",
                  body="This is the mail system. Your message could not be delivered.\n")
    preps = _prepared(s, bounce)
    assert preps[0].mail_class != "human" and preps[0].nlp_input is None
    pool = WorkerExtraction(s)
    try:
        future = pool.submit(preps)
        assert future.done() and pool._pool is None  # answered at once, no worker started
        assert pool.readings(future, preps) == [(preps[0], None)]
    finally:
        pool.close()
