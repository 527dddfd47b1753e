"""SQL statements and step times per message of a drained backlog: where the time outside NLP goes.

Wall-clock rates on a shared 2-core machine vary by a factor of two between runs; the number of
statements the daemon sends per message does not, and the per-step times (from the daemon's own
step metrics, no profiler overhead) say which step to work on. Runs the daemon in-process on a
Maildir backlog, SQLite, file-mode outbox; without spaCy unless ``--spacy``.

    python -m bench.statements [--n 200] [--spacy]
"""

from __future__ import annotations

import argparse
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
from triage.daemon import Daemon
from triage.mailbox.maildir import MaildirSource
from triage.metrics import Metrics
from triage.settings import load_settings


def _maildir(root: Path, raws: list[bytes]) -> Path:
    box = root / "box"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    for i, raw in enumerate(raws):
        (box / "new" / f"{i:06d}.eml").write_bytes(raw)
    return box


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
        daemon = Daemon(settings, engine, source=MaildirSource(_maildir(root, generate(n)), name="bench"),
                        metrics=metrics)
        daemon.warm_up()
        kinds: Counter[str] = Counter()

        @event.listens_for(engine, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            kinds[statement.split(None, 1)[0].upper()] += 1

        started = time.perf_counter()
        daemon.run(once=True)
        seconds = time.perf_counter() - started
        total = sum(kinds.values())
        return {"messages": n, "statements": total, "per_message": round(total / n, 1),
                "by_kind_per_message": {k: round(v / n, 2) for k, v in kinds.most_common()},
                "spacy": use_spacy, "seconds": round(seconds, 2),
                "ms_per_message": round(1000 * seconds / n, 1), "step_ms_per_message": _steps(metrics, n)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


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
