"""Regression test over the shared labeled dev corpus (skipped when it is not present).

The extractor runs on every dev message; the shared scorer grades the predictions. Floors
are the figures reached when this test was written: a change that lowers one fails here.
Speed against the naive design (the full English spaCy pipeline per body) is measured by
``bench/extract.py``, never by a timed assertion here.
"""

from __future__ import annotations

import pytest

from nlp.extractor import Extractor
from tests.nlp.corpus_scoring import SCORER, SHARED, score_corpus

DEV = SHARED / "corpus" / "dev"
FLOORS = {  # the figures reached; raise them as extraction improves, never lower them
    "agency_f1": 1.0,
    "country_f1": 1.0,
    "region_f1": 1.0,
    "verified_accuracy": 1.0,
    "fake_caught": 1.0,
    "language_accuracy": 1.0,
    "coverage": 1.0,
    "type_accuracy": 1.0,
    "type_macro_f1": 1.0,
    "emergency_recall": 1.0,
    "emergency_f1": 1.0,
    "case_ref_f1": 1.0,
    "targets_f1": 0.98,
    "deadline_f1": 1.0,
}

pytestmark = pytest.mark.skipif(
    not (DEV / "labels.jsonl").exists() or not SCORER.exists(), reason="shared dev corpus absent"
)


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory, full_extractor: Extractor) -> dict[str, float]:
    return score_corpus(DEV, tmp_path_factory.mktemp("dev"), full_extractor)


@pytest.mark.parametrize(("figure", "floor"), sorted(FLOORS.items()))
def test_figure_at_least_floor(scores: dict[str, float], figure: str, floor: float) -> None:
    assert scores[figure] >= floor - 1e-9, f"{figure} fell to {scores[figure]:.3f} (floor {floor})"

