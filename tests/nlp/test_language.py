"""The `language` component judges the new body text, not quotes or signatures."""

from __future__ import annotations

import json

import pytest

from nlp.components.language import Component as LanguageComponent
from nlp.registry import Doc
from nlp.types import Extraction, MessageInput, NlpConfig
from tests.nlp.helpers import FIXTURES

CASES = json.loads((FIXTURES / "languages.json").read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def component() -> LanguageComponent:
    return LanguageComponent(NlpConfig(), {})


def judge(component: LanguageComponent, texts: dict[str, str]) -> Doc:
    doc = Doc(msg=MessageInput(), result=Extraction(), texts=texts)
    component(doc)
    return doc


@pytest.mark.parametrize(("expected", "body"), CASES)
def test_detects_language_of_body(component: LanguageComponent, expected: str, body: str) -> None:
    doc = judge(component, {"body": body})
    assert doc.result.language == expected
    assert 0 < doc.result.confidence["language"] <= 1


def test_quote_and_signature_in_other_languages_do_not_decide(component: LanguageComponent) -> None:
    spanish = dict(CASES)["es"]
    doc = judge(
        component,
        {
            "body": spanish,
            "signature": "Aquest missatge és confidencial i va dirigit exclusivament al destinatari indicat.",
            "quote": "On Monday you wrote: we will need the data as soon as possible for the investigation team.",
        },
    )
    assert doc.result.language == "es"


def test_empty_message_has_no_language(component: LanguageComponent) -> None:
    assert judge(component, {}).result.language is None


def test_short_body_uses_subject_and_signature(component: LanguageComponent) -> None:
    doc = judge(
        component,
        {
            "subject": "Demande de conservation de données",
            "body": "Voir ci-dessous.",
            "signature": "Cordialement, le commandant de la brigade de recherches",
        },
    )
    assert doc.result.language == "fr"
