"""``triage run [--once] [--mailbox NAME]``: watch the mailbox(es) and deliver acknowledgments.

Without ``[[triage.mailboxes]]`` one mailbox is watched, from the top-level settings. With
them, this process validates the configuration, applies the migrations once and supervises
one ``triage run --mailbox NAME`` child per mailbox (``triage.supervisor``).
"""

from __future__ import annotations

import argparse
import sys

from store.db import make_engine
from store.migrate import upgrade
from triage.mailboxes import Mailbox, MailboxError, configured_mailboxes, find_mailbox, mailbox_sender
from triage.metrics import Metrics, serve_metrics
from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the mailbox daemon")
    p.add_argument("--once", action="store_true", help="process what is there, deliver the outbox, exit")
    p.add_argument("--mailbox", metavar="NAME", help="run only this configured mailbox (in this process)")
    p.set_defaults(func=cmd_run)


def prepare_database(settings: Settings) -> None:
    """Apply migrations at start unless TRIAGE_AUTO_MIGRATE=false."""
    if settings.auto_migrate:
        upgrade(settings.database_url)


def run_daemon(settings: Settings, once: bool, boxes: list[Mailbox] | None = None, box: Mailbox | None = None
               ) -> int:
    """One mailbox in this process: the top-level one, or ``box`` of the configured ``boxes``."""
    from triage.pipeline.workers import WorkerExtraction

    worker = None
    if settings.extract_workers > 0:  # first of all: the models load while the daemon imports, migrates, connects
        worker = WorkerExtraction(settings)
        worker.start()
    engine = make_engine(settings.database_url)  # no connection yet
    metrics, exporter = None, None
    try:
        from triage.daemon import Daemon
        from triage.mailbox import make_source

        if settings.metrics_port:
            metrics = Metrics(engine)
        if box is None or boxes is None:
            daemon = Daemon(settings, engine, metrics=metrics, extraction=worker)
        else:
            source = make_source(settings)
            source.name = box.name  # the configured name keys checkpoints, leadership and Ticket.mailbox
            daemon = Daemon(settings, engine, source=source, sender=mailbox_sender(boxes, box, engine),
                            metrics=metrics, extraction=worker)
        daemon.install_signal_handlers()
        prepare_database(settings)
        if metrics is not None:
            exporter = serve_metrics(metrics, settings.metrics_port)
        return daemon.run(once=once)
    finally:
        if worker is not None:
            worker.close()  # when start-up failed after the worker was started
        if exporter is not None:
            exporter.close()
        engine.dispose()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        boxes = configured_mailboxes(settings)
        box = find_mailbox(boxes, args.mailbox) if args.mailbox else None
    except MailboxError as exc:
        print(f"triage: {exc}", file=sys.stderr)
        return 2
    if box is not None:
        return run_daemon(box.settings, args.once, boxes, box)
    if not boxes:
        return run_daemon(settings, args.once)
    from triage.supervisor import run_mailboxes

    prepare_database(settings)
    return run_mailboxes([b.name for b in boxes], args.once)
