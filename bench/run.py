"""`make bench`: backlog, latency, memory and replicas, measured in one run on loopback servers.

Writes ``bench/results/latest.json`` and ``bench/results/stages.png``. Ratios are against
baselines of the same run (IMAP fetch alone, extraction alone, naive spaCy pipeline); end to
end against extraction alone is the median of ``--rounds`` back-to-back pairs.

    python -m bench.run [--n 2000] [--rounds 3] [--latency 50] [--memory 1000,5000] [--skip replicas]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import latency, stages
from bench.chart import draw
from bench.corpus import generate
from tests.servers.dovecot import DovecotServer

RESULTS = Path(__file__).resolve().parent / "results"


RATIO_KEYS = ("end_to_end_vs_extraction_with_load", "end_to_end_after_start_up_vs_extraction",
              "end_to_end_vs_extraction")


def pair_ratios(extraction: dict[str, Any], end_to_end: dict[str, Any]) -> dict[str, float]:
    """End to end against extraction alone, measured one right after the other.

    Like for like: both with their model loading, or both from models loaded; and the whole run
    against extraction without its loading (the strictest reading, asymmetric).
    """
    out = {"end_to_end_vs_extraction": round(end_to_end["msgs_per_s"] / extraction["msgs_per_s"], 3)}
    if "with_load" in extraction:
        out["end_to_end_vs_extraction_with_load"] = round(
            end_to_end["msgs_per_s"] / extraction["with_load"]["msgs_per_s"], 3)
    if "after_start_up" in end_to_end:
        out["end_to_end_after_start_up_vs_extraction"] = round(
            end_to_end["after_start_up"]["msgs_per_s"] / extraction["msgs_per_s"], 3)
    return out


def paired_rounds(raws: list[bytes], rounds: int) -> list[dict[str, Any]]:
    """Extraction alone and end to end, back to back, ``rounds`` times, alternating which goes first.

    This machine's speed drifts by up to x1.5 within minutes (a shared virtual machine): a ratio is
    only meaningful between two runs close in time, and the median of several such pairs says
    more than any one of them.
    """
    out = []
    for i in range(rounds):
        pair: dict[str, Any] = {}
        for name in ("extraction", "end_to_end") if i % 2 == 0 else ("end_to_end", "extraction"):
            pair[name] = stages.extract_in_child(len(raws)) if name == "extraction" else stages.end_to_end(raws)
        out.append(pair | {"ratios": pair_ratios(pair["extraction"], pair["end_to_end"])})
        print(json.dumps({"round": i + 1} | out[-1]["ratios"]), flush=True)
    return out


def backlog(n: int, rounds: int = 3) -> dict[str, Any]:
    raws = generate(n)
    imap = DovecotServer()
    imap.start()
    try:
        stages.fill(imap, raws)
        fetch = stages.imap_fetch(imap)
    finally:
        imap.cleanup()
    out: dict[str, Any] = {"n": n, "stages": {"imap_fetch": fetch}}
    out["stages"]["parse"] = stages.parse_only(raws)
    runs = paired_rounds(raws, rounds)
    median = sorted(runs, key=lambda r: r["ratios"]["end_to_end_vs_extraction_with_load"])[len(runs) // 2]
    out["stages"]["extraction"] = median["extraction"]
    out["stages"]["naive_spacy_baseline"] = stages.naive_baseline(raws[: min(n, 300)])
    out["stages"]["end_to_end"] = median["end_to_end"]
    s = out["stages"]
    out["ratios"] = {key: round(statistics.median(r["ratios"][key] for r in runs), 3) for key in RATIO_KEYS
                     if all(key in r["ratios"] for r in runs)}
    out["ratios"] |= {
        "extraction_vs_naive_baseline": round(
            s["extraction"]["msgs_per_s"] / s["naive_spacy_baseline"]["msgs_per_s"], 2
        ),
        "end_to_end_vs_imap_fetch": round(s["end_to_end"]["msgs_per_s"] / s["imap_fetch"]["msgs_per_s"], 3),
    }
    out["rounds"] = [{name: r[name]["msgs_per_s"] for name in ("extraction", "end_to_end")}
                     | {"extraction_with_load": r["extraction"]["with_load"]["msgs_per_s"],
                        "end_to_end_after_start_up": r["end_to_end"].get("after_start_up", {}).get("msgs_per_s"),
                        "start_up_seconds": r["end_to_end"].get("start_up_seconds"),
                        "ratios": r["ratios"]} for r in runs]
    return out


def memory(sizes: list[int]) -> dict[str, Any]:
    return {str(n): stages.end_to_end(generate(n, seed=11)) for n in sizes}


def replicas(n: int) -> dict[str, Any]:
    from tests.servers.postgres import create_database, drop_database, server_available

    if server_available() is not None:
        return {"skipped": "no PostgreSQL server answers"}
    out: dict[str, Any] = {}
    for count in (1, 2):
        name, url = create_database()
        try:
            out[str(count)] = stages.end_to_end(generate(n, seed=13), db_url=url, replicas=count)
        finally:
            drop_database(name)
    out["ratio_2_vs_1"] = round(out["2"]["msgs_per_s"] / out["1"]["msgs_per_s"], 3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="backlog size")
    ap.add_argument("--rounds", type=int, default=3, help="back-to-back pairs of extraction alone and end to end")
    ap.add_argument("--latency", type=int, default=50, help="messages timed in the latency run (after one warm-up)")
    ap.add_argument("--memory", default="1000,5000", help="backlog sizes for peak RSS")
    ap.add_argument("--replicas-n", type=int, default=1000)
    ap.add_argument("--skip", default="", help="comma list of: backlog,latency,memory,replicas")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    results: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "date": datetime.now(UTC).date().isoformat(),
                                           "python": sys.version.split()[0]}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, fn in (("backlog", lambda: backlog(args.n, args.rounds)),
                     ("latency", lambda: latency.measure(generate(args.latency + 1, seed=5))),  # the first warms up
                     ("memory", lambda: memory([int(x) for x in args.memory.split(",")])),
                     ("replicas", lambda: replicas(args.replicas_n))):
        if name in skip:
            continue
        print(f"== {name}", flush=True)
        results[name] = fn()
        print(json.dumps(results[name], indent=1), flush=True)
        (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    if "backlog" in results:
        draw(results, RESULTS / "stages.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
