"""SQL statements and step times per message of a drained backlog: where the time outside NLP goes.

Wall-clock rates on a shared 2-core machine vary by a factor of two between runs; the number of
statements the daemon sends per message does not, and the per-step times (from the daemon's own
step metrics, no profiler overhead) say which step to work on. Runs the daemon in-process on a
Maildir backlog, SQLite, file-mode outbox; without spaCy unless ``--spacy``.

``calls`` splits the work of a few functions by wrapping them for the run: per message, their
wall and CPU (thread) milliseconds and statements; the CPU figures are the ones that stay put on a
busy machine. ``file_step`` is the filing transaction's work before its commit, ``acknowledge``
the acknowledgment part of it, ``archive_batch`` the archive step (bytes, fsync, rows, commit).

    python -m bench.statements [--n 200] [--spacy]
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.corpus import generate
from store.db import make_engine
from store.migrate import upgrade
from tests.triage.daemon_helpers import maildir_with
from triage.daemon import Daemon
from triage.mailbox.maildir import MaildirSource
from triage.metrics import Metrics
from triage.settings import load_settings


def measure(n: int, use_spacy: bool = False) -> dict[str, Any]:
    """Statements by kind, per message, for one drained backlog of ``n`` generated messages."""
    root = Path(tempfile.mkdtemp(prefix="triage-stmts-"))
    try:
        url = f"sqlite:///{root / 'triage.db'}"
        settings = load_settings(database_url=url, data_dir=root / "data", outbox_dir=root / "out", use_spacy=use_spacy,
                                 ack_unverified=True, ack_max_age_days=100000, ack_rate_per_sender=100000,
                                 ack_rate_per_domain=100000)
        upgrade(url)
        engine = make_engine(url)
        metrics = Metrics()
        daemon = Daemon(settings, engine, source=MaildirSource(maildir_with(root, generate(n), "box"), name="bench"),
                        metrics=metrics)
        daemon.warm_up()
        kinds: Counter[str] = Counter()

        @event.listens_for(engine, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            kinds[statement.split(None, 1)[0].upper()] += 1

        timers = [_CallTimer(module, name, kinds) for module, name in WRAPPED]
        started, cpu = time.perf_counter(), time.process_time()
        try:
            daemon.run(once=True)
        finally:
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            for timer in timers:
                timer.restore()
        total = sum(kinds.values())
        calls = {t.name: t.per_message(n) for t in timers if t.calls}
        if "file_step" in calls and "acknowledge" in calls:
            calls["file_step_without_ack"] = {
                key: round(calls["file_step"][key] - calls["acknowledge"][key], 2)
                for key in ("wall_ms", "cpu_ms", "statements")
            }
        return {"messages": n, "statements": total, "per_message": round(total / n, 1),
                "by_kind_per_message": {k: round(v / n, 2) for k, v in kinds.most_common()},
                "spacy": use_spacy, "seconds": round(seconds, 2),
                "ms_per_message": round(1000 * seconds / n, 1),
                "main_process_cpu_ms_per_message": round(1000 * cpu / n, 1),
                "step_ms_per_message": _steps(metrics, n), "calls": calls}
    finally:
        shutil.rmtree(root, ignore_errors=True)


WRAPPED = (("triage.pipeline.process", "file_step"), ("triage.pipeline.filing", "acknowledge"),
           ("triage.batches", "archive_batch"))


class _CallTimer:
    """Replaces ``module.name`` for the run: counts its wall and CPU time and the statements it sends."""

    def __init__(self, module: str, name: str, kinds: Counter[str]) -> None:
        self.module, self.name, self.kinds = importlib.import_module(module), name, kinds
        self.inner = getattr(self.module, name)
        self.calls, self.wall, self.cpu, self.statements = 0, 0.0, 0.0, 0
        setattr(self.module, name, self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        before, wall, cpu = sum(self.kinds.values()), time.perf_counter(), time.thread_time()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.calls += 1
            self.wall += time.perf_counter() - wall
            self.cpu += time.thread_time() - cpu
            self.statements += sum(self.kinds.values()) - before

    def restore(self) -> None:
        setattr(self.module, self.name, self.inner)

    def per_message(self, n: int) -> dict[str, float]:
        return {"wall_ms": round(1000 * self.wall / n, 2), "cpu_ms": round(1000 * self.cpu / n, 2),
                "statements": round(self.statements / n, 2), "calls": self.calls}


def _steps(metrics: Metrics, n: int) -> dict[str, float]:
    sums = {
        sample.labels["step"]: sample.value
        for family in metrics.registry.collect() if family.name == "triage_step_seconds"
        for sample in family.samples if sample.name.endswith("_sum")
    }
    return {step: round(1000 * total / n, 2) for step, total in sorted(sums.items(), key=lambda kv: -kv[1])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--spacy", action="store_true", help="load the spaCy pipelines (as production does)")
    args = ap.parse_args()
    print(json.dumps(measure(args.n, args.spacy), indent=1))


if __name__ == "__main__":
    main()
