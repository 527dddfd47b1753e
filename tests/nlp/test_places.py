"""Places named in a signature: a state or province named in full gives its ISO 3166-2 region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nlp.places import places_in

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"
CASES = [json.loads(line) for line in (FIXTURES / "region_name_cases.jsonl").read_text().splitlines() if line]


@pytest.mark.parametrize("case", CASES, ids=[c["text"].split("\n")[-1] for c in CASES])
def test_first_place_country_and_region(case: dict[str, Any]) -> None:
    place = places_in(case["text"])[0]
    assert (place.country, place.region) == (case["country"], case["region"])
    assert case["text"][place.start : place.end].strip()
