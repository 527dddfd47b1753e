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


def test_head_cuts_at_a_space_within_the_limit() -> None:
    from nlp.components.language import head

    text = "Sehr geehrte Damen und Herren, " * 100
    cut = head(text, 1000)
    assert 900 < len(cut) <= 1000 and text.startswith(cut) and text[len(cut)] == " "  # a whole word last
    assert head("kurz", 1000) == "kurz"
    assert head("x" * 3000, 1000) == "x" * 1000  # no space to cut at: the plain limit


def test_long_body_judged_by_its_opening(component: LanguageComponent) -> None:
    body = "Wir bitten um Auskunft über die Bestandsdaten des folgenden Kontos. " * 40
    doc = judge(component, {"body": body + "Thank you for your help with this matter. " * 200})
    assert doc.result.language == "de"
