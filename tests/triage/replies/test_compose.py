"""Acknowledgment templates per language and the reply subject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from triage.replies.compose import ack_languages, render_ack, reply_subject, template_language
from triage.settings import Settings, load_settings

RECEIVED = datetime(2026, 11, 23, 9, 12, 44, tzinfo=UTC)
# a word that shows the body really is in that language
MARKERS = {
    "en": "received your message",
    "fr": "a bien reçu votre message",
    "de": "hat Ihre Nachricht erhalten",
    "es": "ha recibido su mensaje",
    "it": "ha ricevuto il Suo messaggio",
    "nl": "heeft uw bericht ontvangen",
    "pl": "otrzymał Państwa wiadomość",
    "pt": "recebeu a sua mensagem",
}


def test_at_least_the_required_languages() -> None:
    assert {"en", "fr", "de", "es", "it"} <= set(ack_languages())
    assert set(ack_languages()) == set(MARKERS)


@pytest.mark.parametrize("lang", sorted(MARKERS))
def test_each_template_gives_reference_time_and_follow_up(lang: str, plain_settings: Settings) -> None:
    used, body = render_ack(plain_settings, "LE-2026-000123", RECEIVED, lang)
    assert used == lang
    assert MARKERS[lang] in body
    assert body.count("LE-2026-000123") >= 2  # the reference, and again in how to follow up
    assert "2026-11-23 09:12" in body and "UTC" in body
    assert "Platform" in body
    assert "{" not in body and "}" not in body
    assert len(body) < 1200  # short


def test_time_is_shown_in_utc(plain_settings: Settings) -> None:
    paris = RECEIVED.astimezone(timezone(timedelta(hours=1)))
    _, body = render_ack(plain_settings, "LE-2026-000123", paris, "en")
    assert "2026-11-23 09:12 (UTC)" in body


@pytest.mark.parametrize(("given", "used"), [("fr-CA", "fr"), ("DE", "de"), ("pt_BR", "pt"), ("ja", "en"),
                                             (None, "en"), ("", "en"), ("../../etc", "en")])
def test_language_choice_and_fallback(given: str | None, used: str) -> None:
    assert template_language(given) == used


def test_guidelines_link_only_when_configured() -> None:
    with_link = load_settings(database_url="sqlite://", ack_guidelines_url="https://platform.example/le")
    _, body = render_ack(with_link, "LE-2026-000001", RECEIVED, "en")
    assert "https://platform.example/le" in body
    _, body = render_ack(load_settings(database_url="sqlite://"), "LE-2026-000001", RECEIVED, "en")
    assert "http" not in body


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Request for data", "Re: Request for data [LE-2026-000001]"),
        ("RE: Re: AW: Request", "Re: Request [LE-2026-000001]"),
        ("Re: Request [LE-2026-000001]", "Re: Request [LE-2026-000001]"),
        ("", "Re: [LE-2026-000001]"),
        ("Line\r\n break", "Re: Line break [LE-2026-000001]"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject, "LE-2026-000001") == expected


def test_long_subject_is_cut() -> None:
    assert len(reply_subject("x" * 5000, "LE-2026-000001")) < 240
