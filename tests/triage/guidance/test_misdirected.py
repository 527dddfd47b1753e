"""Which mail is clearly misdirected, and when a pointer may be sent (never to a forged From)."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.guidance.misdirected import kind_of, pointer_kind
from triage.guidance.pointer import pointer_body
from triage.parse import ParsedMail, parse_bytes
from triage.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "guidance"


def _parsed(name: str) -> ParsedMail:
    return parse_bytes((FIXTURES / f"{name}.eml").read_bytes())


def _on(settings: Settings) -> Settings:
    return settings.model_copy(update={"misdirected_pointers": True, "support_url": "https://help.example/",
                                       "press_address": "press@platform.example"})


@pytest.mark.parametrize(
    ("name", "request_type", "official", "expected"),
    [
        ("user_complaint", "not_law_enforcement", False, "user_support"),
        ("press", "not_law_enforcement", False, "press"),
        ("other_company", "preservation", True, "other_company"),
        ("complete_en", "data_disclosure", True, None),
        ("user_complaint", "not_law_enforcement", True, None),  # an authority writing about other matters
    ],
)
def test_kind_of(name: str, request_type: str, official: bool, expected: str | None) -> None:
    assert kind_of(_parsed(name), request_type, official) == expected


def test_a_company_named_in_the_body_is_not_an_addressee() -> None:
    raw = (FIXTURES / "complete_en.eml").read_bytes().replace(
        b"Dear Sir or Madam,", b"Dear Sir or Madam,\n\nThe suspect also used Google and WhatsApp."
    )
    assert kind_of(parse_bytes(raw), "data_disclosure", True) is None


def test_pointer_only_when_switched_on_configured_and_authenticated(settings: Settings) -> None:
    on = _on(settings)
    press = _parsed("press")
    args = {"request_type": "not_law_enforcement", "sender_verified": None, "signals": []}
    assert pointer_kind(settings, press, **args) is None  # default off
    assert pointer_kind(on, press, **args) == "press"
    assert pointer_kind(on.model_copy(update={"press_address": ""}), press, **args) is None
    assert pointer_kind(on, _parsed("press_forged"), **args) is None
    lookalike = [{"code": "lookalike_domain"}]
    assert pointer_kind(on, press, **(args | {"signals": lookalike})) is None
    other = _parsed("other_company")
    assert pointer_kind(on, other, request_type="preservation", sender_verified=True, signals=[]) == "other_company"
    assert pointer_kind(on, other, request_type="preservation", sender_verified=False, signals=[]) is None


@pytest.mark.parametrize("lang", ["en", "fr", "de", "es", "it"])
@pytest.mark.parametrize("kind", ["user_support", "press", "other_company"])
def test_pointer_body_names_the_channel_and_nothing_else(settings: Settings, lang: str, kind: str) -> None:
    body = pointer_body(_on(settings), kind, lang)
    assert "{" not in body and "}" not in body
    assert ("https://help.example/" in body) == (kind == "user_support")
    assert ("press@platform.example" in body) == (kind == "press")
