"""Target finder on written snippets: national phone formats, labelled user ids, dates that are no numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nlp.targets import TargetFinder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"
CASES = [json.loads(line) for line in (FIXTURES / "target_cases.jsonl").read_text(encoding="utf-8").splitlines()
         if line]


@pytest.fixture(scope="module")
def finder() -> TargetFinder:
    return TargetFinder()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_targets(finder: TargetFinder, case: dict[str, Any]) -> None:
    found = finder.find("body", case["text"], case["region"], set(), [])
    assert sorted(f.value for f in found) == sorted(case["targets"])
