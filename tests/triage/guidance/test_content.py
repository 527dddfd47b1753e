"""The guidance data files: every language complete, consistent with the completeness table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from triage.completeness import required_elements
from triage.guidance.content import DATA, best_language, guide, languages, placeholders

ALLOWED = {"organisation", "address", "emergency_phone", "support_url", "press_address", "reference", "type_name",
           "sample_reference"}


def _keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for k, v in data.items():
        if k.startswith("_") or k == "code":
            continue
        out.add(prefix + k)
        if isinstance(v, dict):
            out |= _keys(v, f"{prefix}{k}.")
    return out


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for k, v in data.items() if not k.startswith("_") for s in _strings(v)]
    return []


def test_at_least_the_five_languages() -> None:
    assert {"en", "fr", "de", "es", "it"} <= set(languages())
    assert languages()[0] == "en"


@pytest.mark.parametrize("lang", ["fr", "de", "es", "it"])
def test_same_keys_as_english(lang: str) -> None:
    assert _keys(guide(lang)) == _keys(guide("en"))


@pytest.mark.parametrize("lang", ["en", "fr", "de", "es", "it"])
def test_every_required_element_and_type_has_words(lang: str) -> None:
    g = guide(lang)
    for rtype, elements in required_elements().items():
        if elements:
            assert g["request_types"][rtype]
        for e in elements:
            assert g["missing"][e] and g["contains"][e]
    for text in _strings(g):
        assert placeholders(text) <= ALLOWED, text
        assert text == text.strip() and "  " not in text


def test_files_are_plain_json_without_python_lists_elsewhere() -> None:
    for path in DATA.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("given", "expected"), [("fr-CA", "fr"), ("DE", "de"), ("es_MX", "es"), ("nl", "en"),
                                                 (None, "en"), ("", "en")])
def test_best_language(given: str | None, expected: str) -> None:
    assert best_language(given) == expected
