"""``triage run [--once]``: watch the mailbox (or drain it once) and deliver acknowledgments."""

from __future__ import annotations

import argparse

from store.db import make_engine
from store.migrate import upgrade
from triage.metrics import Metrics, serve_metrics
from triage.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the mailbox daemon")
    p.add_argument("--once", action="store_true", help="process what is there, deliver the outbox, exit")
    p.set_defaults(func=cmd_run)


def prepare_database(settings: Settings) -> None:
    """Apply migrations at start unless TRIAGE_AUTO_MIGRATE=false."""
    if settings.auto_migrate:
        upgrade(settings.database_url)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from triage.daemon import Daemon

    prepare_database(settings)
    engine = make_engine(settings.database_url)
    metrics, exporter = None, None
    if settings.metrics_port:
        metrics = Metrics(engine)
        exporter = serve_metrics(metrics, settings.metrics_port)
    try:
        daemon = Daemon(settings, engine, metrics=metrics)
        daemon.install_signal_handlers()
        return daemon.run(once=args.once)
    finally:
        if exporter is not None:
            exporter.close()
        engine.dispose()
