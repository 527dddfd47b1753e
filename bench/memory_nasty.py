"""Peak memory while parsing and extracting the nasty corpus, one message per child process.

Each message is built (or read) and processed in a fresh process so its peak RSS is its own.
The report shows, per message: its size, the child's peak RSS, the RSS growth caused by parse
+ extraction alone (peak minus the RSS before parsing, with the message already in memory),
and the time taken. Growth, not the raw message, is what the limits bound.

    python -m bench.memory_nasty [--no-extract] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NASTY = ROOT / "tests" / "fixtures" / "nasty"


def _status_mb(key: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MB.

    VmHWM is the peak of this process's own address space; unlike ru_maxrss it does not
    inherit the parent's peak across fork and exec.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def _warm_up(extractor: Any) -> None:
    """Lazy models load on first use; load them before measuring so growth is the message's own."""
    from triage.extraction import extract_parsed
    from triage.parse import parse_bytes

    warm = b"From: a@police.example\r\nSubject: request\r\n\r\nPlease preserve the account @someone.\r\n"
    extract_parsed(extractor, parse_bytes(warm))


def _measure(entry: dict[str, Any], tmp: str, extract: bool, out: Any) -> None:
    sys.path.insert(0, str(NASTY))
    import make_nasty

    from triage.parse import parse_bytes

    extractor = None
    if extract:
        from nlp.extractor import Extractor
        from nlp.types import NlpConfig

        extractor = Extractor(NlpConfig(use_spacy=False))
        _warm_up(extractor)
    raw = make_nasty.load(entry, Path(tmp))  # built by the parent: this only reads the file
    before = _rss_mb()
    peak_before = _peak_mb()
    started = time.monotonic()
    pm = parse_bytes(raw)
    if extractor is not None:
        from triage.extraction import extract_parsed

        extract_parsed(extractor, pm)
    elapsed = time.monotonic() - started
    peak = _peak_mb()
    out.put(
        {
            "name": entry["name"],
            "bytes": len(raw),
            "peak_rss_mb": round(peak, 1),
            "growth_mb": round(max(peak - max(before, peak_before), 0.0), 1),
            "seconds": round(elapsed, 2),
            "errors": [e[:80] for e in pm.errors],
        }
    )


def run(extract: bool) -> list[dict[str, Any]]:
    sys.path.insert(0, str(NASTY))
    import make_nasty

    ctx = mp.get_context("spawn")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for entry in make_nasty.entries():
            make_nasty.load(entry, Path(tmp))  # build big messages here, outside the measured process
            q = ctx.Queue()
            proc = ctx.Process(target=_measure, args=(entry, tmp, extract, q))
            proc.start()
            rows.append(q.get(timeout=600))
            proc.join()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description="peak RSS while parsing (+ extracting) the nasty corpus")
    ap.add_argument("--no-extract", action="store_true", help="parse only")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args()
    rows = run(extract=not args.no_extract)
    print(f"{'message':22} {'bytes':>11} {'peak MB':>8} {'growth MB':>9} {'s':>6}")
    for r in rows:
        print(f"{r['name']:22} {r['bytes']:>11} {r['peak_rss_mb']:>8} {r['growth_mb']:>9} {r['seconds']:>6}")
    print(f"max peak RSS {max(r['peak_rss_mb'] for r in rows)} MB; max growth {max(r['growth_mb'] for r in rows)} MB")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
