"""Regression test over the shared labeled dev corpus (skipped when it is not present).

The extractor runs on every dev message; the shared scorer grades the predictions. Floors
are the figures reached when this test was written: a change that lowers one fails here.
Speed against the naive design (the full English spaCy pipeline per body) is measured by
``bench/extract.py``, never by a timed assertion here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.extractor import Extractor
from nlp.types import MessageInput, NlpConfig
from triage.parse import parse_bytes

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEV = SHARED / "corpus" / "dev"
SCORER = SHARED / "tools" / "score_extraction.py"
FLOORS = {
    # part 1 (text, language, agency, jurisdiction, sender)
    "agency_f1": 1.0,
    "country_f1": 1.0,
    "region_f1": 1.0,
    "verified_accuracy": 1.0,
    "fake_caught": 1.0,
    "language_accuracy": 1.0,
    "coverage": 1.0,
    # part 2 (request type, deadline, identifiers): figures reached when this was written
    "type_accuracy": 0.97,
    "type_macro_f1": 0.97,
    "emergency_recall": 1.0,
    "emergency_f1": 0.90,
    "case_ref_f1": 0.92,
    "targets_f1": 0.94,
    "deadline_f1": 0.93,
}

pytestmark = pytest.mark.skipif(
    not (DEV / "labels.jsonl").exists() or not SCORER.exists(), reason="shared dev corpus absent"
)


@pytest.fixture(scope="module")
def messages() -> list[tuple[Path, MessageInput]]:
    return [(p, parse_bytes(p.read_bytes()).to_input()) for p in sorted(DEV.glob("*.eml"))]


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(NlpConfig())


@pytest.fixture(scope="module")
def scores(
    messages: list[tuple[Path, MessageInput]], extractor: Extractor, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, float]:
    out = tmp_path_factory.mktemp("dev") / "predictions.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for path, msg in messages:
            row = {"file": path.name, **extractor.extract(msg).to_json()}
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    done = subprocess.run(
        [sys.executable, str(SCORER), str(DEV / "labels.jsonl"), str(out), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


@pytest.mark.parametrize(("figure", "floor"), sorted(FLOORS.items()))
def test_figure_at_least_floor(scores: dict[str, float], figure: str, floor: float) -> None:
    assert scores[figure] >= floor - 1e-9, f"{figure} fell to {scores[figure]:.3f} (floor {floor})"

