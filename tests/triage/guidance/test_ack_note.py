"""The missing-elements note of an acknowledgment: who gets it, what it says and never says."""

from __future__ import annotations

from typing import Any

from triage.completeness import required_elements
from triage.guidance.ack import completeness_note
from triage.guidance.content import guide
from triage.settings import Settings

REQUIRED = list(required_elements()["data_disclosure"])


def _note(settings: Settings, missing: list[str], **over: Any) -> str:
    args: dict[str, Any] = {
        "lang": "en", "reference": "LE-2026-000007", "request_type": "data_disclosure",
        "completeness": {"required": REQUIRED, "missing": missing}, "emergency": False, "sender_verified": True,
    }
    return completeness_note(settings, **(args | over))


def test_lists_exactly_the_missing_elements(settings: Settings) -> None:
    en = guide("en")
    text = _note(settings, ["legal_basis", "targets"])
    assert en["missing"]["legal_basis"] in text and en["missing"]["targets"] in text
    for other in set(REQUIRED) - {"legal_basis", "targets"}:
        assert en["missing"][other] not in text
    assert "A complete request for disclosure of data contains:" in text
    assert all(en["contains"][e] in text for e in REQUIRED)
    assert "LE-2026-000007" in text


def test_nothing_for_complete_unverified_or_switched_off(settings: Settings) -> None:
    assert _note(settings, []) == ""
    assert _note(settings, ["legal_basis"], sender_verified=None) == ""
    assert _note(settings, ["legal_basis"], sender_verified=False) == ""
    off = settings.model_copy(update={"ack_completeness": False})
    assert _note(off, ["legal_basis"]) == ""


def test_in_the_senders_language_with_english_fallback(settings: Settings) -> None:
    assert "aucune base légale n'a été citée" in _note(settings, ["legal_basis"], lang="fr")
    assert "non è stata citata alcuna base giuridica" in _note(settings, ["legal_basis"], lang="it")
    assert "no se citó ninguna base legal" in _note(settings, ["legal_basis"], lang="es")
    assert "no legal basis was cited" in _note(settings, ["legal_basis"], lang="nl")


def test_emergency_procedure_and_phone_only_when_configured(settings: Settings) -> None:
    missing = ["emergency_justification"]
    args = {"request_type": "emergency_disclosure", "emergency": True}
    text = _note(settings, missing, **args)
    assert guide("en")["emergency"]["procedure"] in text and "call" not in text
    phoned = settings.model_copy(update={"emergency_phone": "+1 555 0100"})
    assert "call +1 555 0100" in _note(phoned, missing, **args)
    assert guide("en")["emergency"]["procedure"] not in _note(settings, missing, emergency=False)


def test_unknown_elements_are_not_invented(settings: Settings) -> None:
    assert _note(settings, ["no_such_element"]) == ""
