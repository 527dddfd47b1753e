"""Score a labeled corpus (``*.eml`` + ``labels.jsonl``) with the shared scorer.

Shared by the corpus regression tests; the scorer lives in ``../shared/tools`` and the tests
skip when it is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nlp.extractor import Extractor
from nlp.types import NlpConfig
from triage.parse import parse_bytes

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SCORER = SHARED / "tools" / "score_extraction.py"


def score_corpus(corpus: Path, workdir: Path, extractor: Extractor | None = None) -> dict[str, float]:
    """Extract every message of ``corpus`` and return the scorer's figures."""
    extractor = extractor or Extractor(NlpConfig())
    out = workdir / "predictions.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for path in sorted(corpus.glob("*.eml")):
            result = extractor.extract(parse_bytes(path.read_bytes()).to_input())
            fh.write(json.dumps({"file": path.name, **result.to_json()}, ensure_ascii=False, default=str) + "\n")
    done = subprocess.run(
        [sys.executable, str(SCORER), str(corpus / "labels.jsonl"), str(out), "--json"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures
