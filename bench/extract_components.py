"""CPU time per pipeline component, to see where the extractor's time goes.

The same messages as ``bench.extract`` (the shared dev corpus when present, plus generated ones),
parsed before timing. The extractor is built as the daemon builds it and warmed up; then each
message runs through the extractor's own component list, each component timed by
``time.process_time`` (CPU, less sensitive to other load than wall time). The whole corpus is run
``--rounds`` times and the fastest round of each component is kept: noise only ever adds time.
Optionally writes every message's extraction (``--preds``) to check that a speed change left
the results identical.

    python -m bench.extract_components [--generated N] [--rounds R] [--preds out.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.extract import WARM_UP, _messages


def _run_message(extractor: Any, msg: Any, spent: dict[str, float]) -> Any:
    """One message through the components in order, as ``Extractor._run`` does, timing each."""
    from nlp.registry import Doc
    from nlp.types import Extraction

    doc = Doc(msg=msg, result=Extraction())
    for name, component in extractor.components:
        t0 = time.process_time()
        component(doc)
        spent[name] = spent.get(name, 0.0) + time.process_time() - t0
    doc.result.texts = doc.texts
    return doc.result


def _round(extractor: Any, inputs: list[Any]) -> tuple[dict[str, float], list[Any]]:
    spent: dict[str, float] = {}
    results = [_run_message(extractor, m, spent) for m in inputs]
    return spent, results


def _preds_row(path: Path, result: Any) -> str:
    out = result.to_json()
    out["texts"] = result.texts
    return json.dumps({"file": path.name, **out}, default=str, sort_keys=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generated", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--preds", type=Path, help="write each message's extraction (JSONL) here")
    args = ap.parse_args()

    from triage.extraction import build_extractor
    from triage.parse import parse_bytes
    from triage.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        files = _messages(args.generated, Path(tmp))
        inputs = [parse_bytes(f.read_bytes()).to_input() for f in files]
        names = [f.name for f in files]
    extractor = build_extractor(load_settings())
    _round(extractor, inputs[:WARM_UP])
    first, results = _round(extractor, inputs)
    best = dict(first)
    for _ in range(args.rounds - 1):
        spent, _ = _round(extractor, inputs)
        best = {k: min(v, best[k]) for k, v in spent.items()}
    n = len(inputs)
    print(f"{'ms/msg':14} {'1st round':>9} {'best':>7}")
    for name, _ in extractor.components:
        print(f"{name:14} {1000 * first[name] / n:9.3f} {1000 * best[name] / n:7.3f}")
    print(f"{'total':14} {1000 * sum(first.values()) / n:9.3f} {1000 * sum(best.values()) / n:7.3f}"
          f"  ({n} messages; best of {args.rounds} rounds)")
    if args.preds:
        args.preds.write_text("".join(_preds_row(Path(nm), r) + "\n" for nm, r in zip(names, results, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
