"""Deadline reader on written snippets: dotted dates without a year, 'the next N days', French 'huitaine'."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from nlp.dates import DeadlineReader

SENT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="module")
def reader() -> DeadlineReader:
    return DeadlineReader()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Antwort erbeten bis 30.06.", date(2026, 6, 30)),
        ("Prosimy o odpowiedź do dnia 20.05.", date(2026, 5, 20)),
        ("Wir bitten um Auskunft bis 15.01.", date(2027, 1, 15)),  # already past this year: next January
        ("dentro de los próximos cinco días", date(2026, 5, 9)),
        ("dans les 10 prochains jours", date(2026, 5, 14)),
        ("Vous voudrez bien répondre sous huitaine.", date(2026, 5, 12)),
        ("Réponse attendue sous quinzaine.", date(2026, 5, 19)),
        ("nei prossimi 7 giorni", date(2026, 5, 11)),
        ("in den nächsten zwei Wochen", date(2026, 5, 18)),
        ("w ciągu najbliższych 7 dni", date(2026, 5, 11)),
        ("nos próximos 10 dias", date(2026, 5, 14)),
    ],
)
def test_deadline_found(reader: DeadlineReader, text: str, expected: date) -> None:
    found = reader.find(text, SENT, "DE")
    assert found and found[0].value == expected


@pytest.mark.parametrize(
    "text",
    [
        "IP-Adressen für den Zeitraum vom 01.04. bis 30.04.",  # a period of requested data, not a deadline
        "Bitte bis 10/5 antworten.",  # slashed day/month without a year stays too ambiguous
    ],
)
def test_no_deadline(reader: DeadlineReader, text: str) -> None:
    assert reader.find(text, SENT, "DE") == []
