"""Reading response deadlines: a cue ("by", "bis zum", "entro il") followed at once by a date, or
"within N days/hours" counted from the message's time.

Only text right after a cue is read as a date, so event dates, date ranges of requested data and
retention periods ("retain for 90 days") are not deadlines. Numeric dates are day-first except in
month-first countries (US); written dates go to dateparser with explicit languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import dateparser

from nlp.spans import DATA, compile_rows, live_rows, load_json, load_jsonl

LANGUAGES = ["en", "fr", "de", "es", "it", "nl", "pl", "pt"]
MAX_FOUND = 20  # the first deadlines are the ones that count; bounds the work on hostile text


@dataclass(frozen=True)
class Deadline:
    value: date
    start: int
    end: int
    text: str
    rule: str


class DeadlineReader:
    """Compiled cues and date shapes; ``find`` returns deadlines in text order."""

    def __init__(self) -> None:
        legal = DATA / "legal"
        d: dict[str, Any] = load_json(legal / "dates.json")
        months = "|".join(sorted(d["months"], key=len, reverse=True))
        weekdays = "|".join(sorted(d["weekdays"], key=len, reverse=True))
        fillers = "|".join(d["fillers"])
        clock = d["time_of_day"]
        self.filler = re.compile(rf"(?:[\s,:]+|(?:{fillers}|{weekdays})\b\.?|{clock}(?=[\s,]))*", re.IGNORECASE)
        self.date = re.compile(
            r"(?P<iso>\d{4}-\d{2}-\d{2})\b"
            r"|(?P<num>\d{1,2})(?:[/-]|\.\s?)(?P<num2>\d{1,2})(?:(?:[/-]|\.\s?)(?P<year>\d{4}|\d{2}))?\b(?![./-]\d)"
            rf"|(?P<dm>\d{{1,2}}(?:st|nd|rd|th|er|º|°|\.)?\s+(?:de\s+|di\s+|of\s+)?(?:{months})\b\.?(?:,?\s+(?:de\s+|del\s+)?\d{{4}})?)"
            rf"|(?P<md>(?:{months})\b\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?)",
            re.IGNORECASE,
        )
        self.month_first = set(d["month_first_countries"])
        self.numbers: dict[str, int] = d["number_words"]
        self.units = [(name, re.compile(r"^(?:" + "|".join(words) + r")$", re.IGNORECASE))
                      for name, words in sorted(d["units"].items(), key=lambda kv: kv[0] != "business_day")]
        rows = load_jsonl(legal / "deadline_cues.jsonl")
        self.date_cues = compile_rows([r for r in rows if r["kind"] == "date"])
        self.duration_cues = compile_rows([r for r in rows if r["kind"] == "duration"])
        context: dict[str, str] = load_json(legal / "deadline_context.json")
        self.promotional = re.compile(context["promotional"], re.IGNORECASE)
        self.anchor = re.compile(context["anchor"], re.IGNORECASE)
        self._written("1 January 2026", None, None)  # dateparser loads its languages on first use: at build

    def strong(self, text: str, found: Deadline) -> bool:
        """A deadline that holds even in a mail that is no authority's request: a dated cue outside an
        offer's sentence ("early-bird prices until ..."), or a duration counted from a stated event."""
        if found.rule.startswith("duration"):
            return bool(self.anchor.match(text, found.end))
        sentence_start = max(text.rfind(stop, 0, found.start) for stop in (". ", "! ", "\n")) + 1
        return not self.promotional.search(text, sentence_start, found.end)

    def find(self, text: str, base: datetime | None, country: str | None) -> list[Deadline]:
        out = self._dated(text, base, country)
        if base is not None:
            out.extend(self._durations(text, base))
        return sorted(out, key=lambda d: d.start)

    def _dated(self, text: str, base: datetime | None, country: str | None) -> list[Deadline]:
        out: list[Deadline] = []
        for rx, row in live_rows(self.date_cues, text):
            for cue in rx.finditer(text):
                if len(out) >= MAX_FOUND:
                    return out
                filler = self.filler.match(text, cue.end())
                pos = filler.end() if filler else cue.end()
                m = self.date.match(text, pos)
                if not m or pos - cue.end() > 40 or self._range_end(text, cue.start()):
                    continue
                value = self._parse(m, base, country)
                if value and (base is None or value >= base.date()):
                    said = text[cue.start():m.end()]
                    out.append(Deadline(value, cue.start(), m.end(), said, f"date_cue:{row['language']}"))
        return out

    def _range_end(self, text: str, cue_start: int) -> bool:
        """'vom 01.04.2026 bis 30.04.2026': a cue right after a date closes a period of requested data."""
        before = text[max(0, cue_start - 40):cue_start].rstrip(" ,\t")
        dotted = before.endswith(".")  # "vom 01.04. bis 30.04.": a dotted day and month without a year
        return any((m.end() == len(before) and not (m.group("num") and m.group("year") is None))
                   or (dotted and m.end() == len(before) - 1 and m.group("num") and "." in m.group(0))
                   for m in self.date.finditer(before))  # "section 5.3 by ..." is no period

    def _parse(self, m: re.Match[str], base: datetime | None, country: str | None) -> date | None:
        if m.group("iso"):
            return _safe_date(*map(int, m.group("iso").split("-")))
        if m.group("num"):
            a, b = int(m.group("num")), int(m.group("num2"))
            day, month = (b, a) if country in self.month_first else (a, b)
            year_text = m.group("year")
            if year_text is None:  # "10/5" alone is too often not a date; "bis 30.06." (dotted, day first) is one
                return _dotted_without_year(m, base)
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return _safe_date(year, month, day)
        return self._written(m.group("dm") or m.group("md"), base, country)

    def _written(self, text: str, base: datetime | None, country: str | None) -> date | None:
        settings: dict[str, Any] = {
            "PREFER_DATES_FROM": "future",
            "REQUIRE_PARTS": ["day", "month"],
            "DATE_ORDER": "MDY" if country in self.month_first else "DMY",
        }
        if base is not None:
            settings["RELATIVE_BASE"] = base.replace(tzinfo=None)
        parsed = dateparser.parse(text.rstrip("."), languages=LANGUAGES, settings=settings)
        return parsed.date() if parsed else None

    def _durations(self, text: str, base: datetime) -> list[Deadline]:
        out: list[Deadline] = []
        for rx, row in live_rows(self.duration_cues, text):
            for m in rx.finditer(text):
                if len(out) >= MAX_FOUND:
                    return out
                n_text = (m.groupdict().get("n") or "1").lower()  # "w ciągu godziny", "dans l'heure": one
                n = int(n_text) if n_text.isdigit() else self.numbers.get(n_text)
                unit = next((name for name, urx in self.units if urx.match(m.group("unit"))), None)
                if not n or unit is None:
                    continue
                value = _add(base, n, unit)
                out.append(Deadline(value, m.start(), m.end(), m.group(0), f"duration:{row['language']}:{unit}"))
        return out


def _add(base: datetime, n: int, unit: str) -> date:
    if unit == "hour":
        return (base + timedelta(hours=n)).date()
    if unit == "week":
        return (base + timedelta(weeks=n)).date()
    if unit == "business_day":
        day = base.date()
        while n > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                n -= 1
        return day
    return (base + timedelta(days=n)).date()


def _dotted_without_year(m: re.Match[str], base: datetime | None) -> date | None:
    """'bis 30.06.': day and month closed by a dot, the year is the next such date from the mail's date."""
    if base is None or "." not in m.group(0) or m.string[m.end(): m.end() + 1] != ".":
        return None
    day, month = int(m.group("num")), int(m.group("num2"))
    value = _safe_date(base.year, month, day)
    if value is not None and value < base.date():
        value = _safe_date(base.year + 1, month, day)
    return value


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
