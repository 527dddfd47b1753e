"""deadline component: cued dates in local formats, durations from the message time, statutory clocks."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nlp.components.deadline import Component
from nlp.registry import Doc
from nlp.types import Extraction, MessageInput, NlpConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nlp"
CASES = [json.loads(line) for line in (FIXTURES / "deadline_cases.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def component() -> Component:
    return Component(NlpConfig(), {})


def make_doc(body: str, when: datetime | None, country: str | None = None, rtype: str | None = None) -> Doc:
    doc = Doc(msg=MessageInput(subject="", text=body, date=when, received_at=when),
              result=Extraction(country=country, request_type=rtype))
    doc.texts["body"] = body
    return doc


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_deadline(component: Component, case: dict[str, Any]) -> None:
    doc = make_doc(case["body"], datetime.fromisoformat(case["date"]), case["country"], case.get("request_type"))
    component(doc)
    got = doc.result.deadline.isoformat() if doc.result.deadline else None
    assert got == case["deadline"]
    if got:
        ev = doc.result.evidence["deadline"][0]
        assert ev.start is not None and doc.texts["body"][ev.start:ev.end] == ev.text


def test_quoted_deadline_is_ignored(component: Component) -> None:
    doc = make_doc("Any news?", datetime(2026, 3, 1, tzinfo=datetime.now().astimezone().tzinfo))
    doc.texts["quote"] = "> Records are to be produced by March 20, 2026."
    component(doc)
    assert doc.result.deadline is None


def test_past_date_is_not_a_deadline(component: Component) -> None:
    when = datetime.fromisoformat("2026-03-23T16:00:00+00:00")
    doc = make_doc("The records were due by March 2, 2026.", when, "US")
    component(doc)
    assert doc.result.deadline is None


@pytest.mark.parametrize(("rtype", "body", "delta"), [
    ("content_removal", "Removal order under Regulation (EU) 2021/784.", timedelta(hours=1)),
    ("preservation", "Request under 18 U.S.C. 2703(f).", timedelta(days=90)),
    ("preservation", "EPOC-PR under Regulation (EU) 2023/1543.", timedelta(days=60)),
    ("data_disclosure", "European Production Order Certificate (EPOC).", timedelta(days=10)),
    ("emergency_disclosure", "EPOC issued in an emergency case.", timedelta(hours=8)),
])
def test_statutory_clock(component: Component, rtype: str, body: str, delta: timedelta) -> None:
    when = datetime.fromisoformat("2026-09-01T10:00:00+00:00")
    doc = make_doc(body, when, "DE", rtype)
    component(doc)
    assert doc.result.statutory_deadline == when + delta


def test_no_clock_without_instrument(component: Component) -> None:
    doc = make_doc("Please take down these posts.", datetime.fromisoformat("2026-09-01T10:00:00+00:00"),
                   "GB", "content_removal")
    component(doc)
    assert doc.result.statutory_deadline is None


def test_no_message_date(component: Component) -> None:
    doc = make_doc("Please respond within 10 days.", None, "GB", "data_disclosure")
    component(doc)
    assert doc.result.deadline is None and doc.result.statutory_deadline is None


def test_many_cues_are_bounded(component: Component) -> None:
    import time

    doc = make_doc("by 12 March 2026 bis zum 3. Mai " * 3000, datetime.fromisoformat("2026-01-01T00:00:00+00:00"), "GB")
    started = time.monotonic()
    component(doc)
    assert time.monotonic() - started < 3.0
    assert doc.result.deadline is not None and doc.result.deadline.isoformat() == "2026-03-12"


def test_us_government_sender_reads_month_first_without_country(component: Component) -> None:
    when = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
    doc = Doc(msg=MessageInput(text="Produce the records by 04/06/2026.", from_address="agent@dea.gov", date=when),
              result=Extraction())
    doc.texts["body"] = "Produce the records by 04/06/2026."
    component(doc)
    assert doc.result.deadline is not None and doc.result.deadline.isoformat() == "2026-04-06"


def test_building_the_component_loads_every_date_language() -> None:
    """dateparser's per-language tables are built with the extractor, not in the first mail of each language."""
    code = ("from dateparser.languages.dictionary import Dictionary as D\nfrom nlp.components.deadline import "
            "Component\nfrom nlp.dates import LANGUAGES\nfrom nlp.types import NlpConfig\nComponent(NlpConfig(), {})\n"
            "for cache in (D._split_regex_cache, D._split_relative_regex_cache):\n"
            "    assert set(LANGUAGES) <= {name for names in cache.values() for name in names}, cache.keys()")
    subprocess.run([sys.executable, "-c", code], check=True)
