"""Regression floors over the project's own labeled sets (``tests/fixtures/corpus/heldin*``).

Each set's ``floors.json`` says how it was written (``about``), the figures it must keep
(``floors``: the figures reached, never above them) and why a floor is below 1.0 (``notes``).
All three sets were written before the code they test was read, then used to find and fix
general errors: their floors guard against regressions, they do not measure generalization.
The shared scorer grades them; the tests skip when it is absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nlp.extractor import Extractor
from tests.nlp.corpus_scoring import SCORER, score_corpus

CORPORA = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
SETS = ("heldin", "heldin2", "heldin3")

pytestmark = pytest.mark.skipif(not SCORER.exists(), reason="shared scorer absent")


def _spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((CORPORA / name / "floors.json").read_text(encoding="utf-8"))
    return spec


@pytest.fixture(scope="module")
def scores(
    tmp_path_factory: pytest.TempPathFactory, full_extractor: Extractor
) -> Callable[[str], dict[str, float]]:
    """Each set scored once for the module, on first use (a -k selection of one set scores one)."""
    done: dict[str, dict[str, float]] = {}

    def score(name: str) -> dict[str, float]:
        if name not in done:
            done[name] = score_corpus(CORPORA / name, tmp_path_factory.mktemp(name), full_extractor)
        return done[name]

    return score


FLOOR_CASES = [(name, figure, floor) for name in SETS for figure, floor in sorted(_spec(name)["floors"].items())]


@pytest.mark.parametrize("name", SETS)
def test_corpus_is_complete(name: str) -> None:
    labels = [json.loads(line) for line in (CORPORA / name / "labels.jsonl").read_text(encoding="utf-8").splitlines()
              if line]
    assert sorted(lab["file"] for lab in labels) == sorted(p.name for p in (CORPORA / name).glob("*.eml"))
    assert len({lab["request_type"] for lab in labels}) == 6
    assert len({lab["language"] for lab in labels}) >= _spec(name)["min_languages"]


@pytest.mark.parametrize(("name", "figure", "floor"), FLOOR_CASES)
def test_figure_at_least_floor(scores: Callable[[str], dict[str, float]], name: str, figure: str, floor: float) -> None:
    got = scores(name)[figure]
    why = _spec(name)["notes"].get(figure, "")
    assert got >= floor - 1e-9, f"{name}: {figure} fell to {got:.3f} (floor {floor}) {why}".rstrip()
