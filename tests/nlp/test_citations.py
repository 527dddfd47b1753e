"""Case-reference labels on written snippets: national labels, a label kept as written, a lookalike that is none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nlp.citations import CitationFinder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"
CASES = [json.loads(line) for line in (FIXTURES / "case_label_cases.jsonl").read_text(encoding="utf-8").splitlines()
         if line]


@pytest.fixture(scope="module")
def finder() -> CitationFinder:
    return CitationFinder()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_labelled_reference(finder: CitationFinder, case: dict[str, Any]) -> None:
    found = [c for c in finder.case_references("body", case["text"]) if c.evidence.rule == "case_label"]
    best = max(found, key=lambda c: c.weight).value if found else None
    assert best == case["value"]


def test_police_inquiry_outweighs_a_quoted_court_process(finder: CitationFinder) -> None:
    text = ("Encaminho a decisão proferida nos autos do processo nº 1023456-77.2026.4.01.3400.\n"
            "Inquérito Policial nº 2026.0041187\n")
    found = finder.case_references("body", text)
    assert max(found, key=lambda c: c.weight).value == "2026.0041187"
