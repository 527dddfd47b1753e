"""Countries and regions named in text: pycountry names, native names (``data/places.json``),
US, Canadian and Australian subdivisions named in full (``data/region_names.json``), US "City, ST
12345" address lines, and phone numbers with a country code (phonenumbers)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

from nlp.gazetteer import fold

DATA = Path(__file__).with_name("data")
US_ADDRESS = re.compile(r",\s*([A-Z]{2})\s+\d{5}(?:-\d{4})?\b")


@dataclass(frozen=True)
class Place:
    country: str
    region: str | None
    start: int
    end: int
    rule: str


@lru_cache(maxsize=1)
def _country_names() -> tuple[re.Pattern[str], dict[str, str]]:
    import pycountry

    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                names[fold(value)] = c.alpha_2
    names.update(json.loads((DATA / "places.json").read_text(encoding="utf-8"))["countries"])
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if len(n) >= 2)
    return re.compile(rf"(?<![\w.])(?:{alternation})(?![\w])"), names


@lru_cache(maxsize=1)
def _us_states() -> frozenset[str]:
    import pycountry

    return frozenset(s.code.split("-")[1] for s in pycountry.subdivisions.get(country_code="US"))


@lru_cache(maxsize=1)
def _subdivisions() -> dict[str, str]:
    """Folded full name -> ISO 3166-2 code of the subdivisions that tell the region, not only the country."""
    import pycountry

    conf = json.loads((DATA / "region_names.json").read_text(encoding="utf-8"))
    skip = set(conf["city_names"])
    return {
        fold(s.name): s.code
        for cc in conf["countries"]
        for s in pycountry.subdivisions.get(country_code=cc)
        if fold(s.name) not in skip
    }


def places_in(text: str) -> list[Place]:
    """Country names, full state/province names and US addresses in ``text``, in order of appearance."""
    pattern, names = _country_names()
    subdivisions = _subdivisions()
    folded = fold(text)
    out = []
    for m in pattern.finditer(folded):
        country, region = names[m.group(0)], subdivisions.get(m.group(0))
        if region and region.startswith(country + "-"):
            out.append(Place(country, region, m.start(), m.end(), "region_name"))
        else:
            out.append(Place(country, None, m.start(), m.end(), "country_name"))
    for m in US_ADDRESS.finditer(text):
        if m.group(1) in _us_states():
            out.append(Place("US", f"US-{m.group(1)}", m.start(1), m.end(1), "us_address"))
    return sorted(out, key=lambda p: p.start)


def phone_countries(text: str) -> list[Place]:
    """Countries of international phone numbers (+CC ...) in ``text``."""
    out = []
    # fictional test ranges (+44 7700 900xxx) are not "valid" numbers: accept possible ones
    for match in phonenumbers.PhoneNumberMatcher(text, None, leniency=phonenumbers.Leniency.POSSIBLE):
        code = match.number.country_code
        region = phonenumbers.region_code_for_country_code(code) if code else None
        if region and region != "ZZ":
            out.append(Place(region, None, match.start, match.end, "phone_prefix"))
    return out


@lru_cache(maxsize=1)
def _law_rules() -> list[tuple[re.Pattern[str], str]]:
    rules = json.loads((DATA / "law_countries.json").read_text(encoding="utf-8"))["rules"]
    return [(re.compile(p, re.S), c) for p, c in rules]


def law_country(text: str) -> tuple[str, int, int] | None:
    """(country, start, end) of the first legal citation that implies a country."""
    for pattern, country in _law_rules():
        m = pattern.search(text)
        if m:
            return country, m.start(), m.end()
    return None
