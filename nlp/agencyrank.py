"""Rank agency candidates: who is *asking*, not who is merely mentioned.

A mention counts by where it stands (signature, sender name, letterhead, first-person
sentence > subject > body > attachment > forwarded/quoted text), is discounted in third-party
contexts ("in cooperation with Europol", "Europol reference ...") and is backed by the
sender's mail domain. Weights are explicit so a reviewer can read why an agency won.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nlp.gazetteer import Agency, Mention, fold

CONTEXT_FILE = Path(__file__).with_name("data") / "agency_context.json"
RANKS_FILE = Path(__file__).with_name("data") / "rank_titles.json"
OFFICES_FILE = Path(__file__).with_name("data") / "office_types.json"
SOURCE_WEIGHT = {
    "signature": 3.0,
    "header": 3.0,
    "subject": 2.0,
    "body": 1.5,
    "attachment": 1.0,
    "forward": 0.6,
    "quote": 0.3,
}
LETTERHEAD_CHARS = 160
LETTERHEAD_WEIGHT = 2.5
FIRST_PERSON_WEIGHT = 2.5
SIGN_OFF_CHARS = 250  # a short line this close to the end of the body reads like a sign-off
SIGN_OFF_WEIGHT = 2.5
SIGN_OFF_MAX_WORDS = 8
THIRD_PARTY_FACTOR = 0.3
ACRONYM_FACTOR = 0.8
DOMAIN_BONUS = 3.0
TLD_BONUS = 0.5
REPEAT_BONUS = 0.3
THRESHOLD = 2.5


@dataclass
class Candidate:
    agency: Agency
    weights: list[float] = field(default_factory=list)
    evidence: list[tuple[str, Mention, str]] = field(default_factory=list)  # (source, mention, rule)
    bonus: float = 0.0

    @property
    def score(self) -> float:
        if not self.weights:
            return self.bonus
        return max(self.weights) + REPEAT_BONUS * min(len(self.weights) - 1, 3) + self.bonus


@dataclass(frozen=True)
class Cues:
    first_person: re.Pattern[str]
    third_party: re.Pattern[str]
    third_party_after: re.Pattern[str]
    le_keywords: re.Pattern[str]
    le_anywhere: re.Pattern[str]  # the keywords without word boundaries: no hit here, no hit in any part


def _alternation(words: list[str], bounded: bool = True) -> re.Pattern[str]:
    body = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])" if bounded else body)


@lru_cache(maxsize=1)
def load_cues() -> Cues:
    d = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return Cues(
        _alternation(d["first_person"]),
        _alternation(d["third_party"]),
        _alternation(d["third_party_after"]),
        _alternation(d["le_keywords"]),
        _alternation(d["le_keywords"], bounded=False),
    )


@lru_cache(maxsize=1)
def rank_prefix() -> re.Pattern[str]:
    """A line's leading run of rank/title words ('Detective Sergeant', 'Inspector of Police')."""
    d = json.loads(RANKS_FILE.read_text(encoding="utf-8"))
    ranks = [w for words in d["ranks"].values() for w in words]
    rank = _alternation(ranks).pattern
    more = _alternation(ranks + d["joiners"] + d["forces"]).pattern
    return re.compile(rf"{rank}(?:[\s,.]+{more})*")


def is_rank_line(line: str) -> bool:
    """True when a line is a person's rank or title: it starts with one and names no unit after it.

    A force word alone ('of Police', 'der Polizei') names no unit; 'Inspector, Springfield Police
    Department' does (the words after the rank hold an authority keyword).
    """
    folded = fold(line).strip(" -|,.")
    m = rank_prefix().match(folded)
    return m is not None and not load_cues().le_keywords.search(folded[m.end() :])


@lru_cache(maxsize=1)
def _offices() -> tuple[frozenset[str], re.Pattern[str]]:
    d = json.loads(OFFICES_FILE.read_text(encoding="utf-8"))
    joiners = "|".join(re.escape(w) for w in sorted(d["place_joiners"], key=len, reverse=True))
    return frozenset(d["office_types"]), re.compile(rf"[ \t]+(?:{joiners})[ \t]+([^\W\d_][\w-]*)")


def local_office_end(text: str, m: Mention) -> int | None:
    """End of 'Prokuratura Rejonowa w Gdańsku' when a generic office type is followed by a place.

    The gazetteer files the type under its national body; the place names the local office that writes.
    """
    types, tail = _offices()
    if fold(m.text) not in types:
        return None
    t = tail.match(text, m.end)
    return t.end() if t is not None and t.group(1)[0].isupper() else None


def mention_weight(source: str, text: str, m: Mention) -> tuple[float, str]:
    """Weight of one mention and the rule that set it."""
    cues = load_cues()
    before = fold(text[max(0, m.start - 60) : m.start])
    before = re.split(r"[.!?\n]\s", before)[-1]  # same sentence only
    after = fold(text[m.end : m.end + 25])
    weight, rule = SOURCE_WEIGHT.get(source, 1.0), source
    if source == "body" and m.start < LETTERHEAD_CHARS:
        weight, rule = max(weight, LETTERHEAD_WEIGHT), "letterhead"
    if source == "body" and m.start > len(text) - SIGN_OFF_CHARS and _line_words(text, m) <= SIGN_OFF_MAX_WORDS:
        weight, rule = max(weight, SIGN_OFF_WEIGHT), "sign_off"
    if source in ("body", "subject") and cues.first_person.search(before):
        weight, rule = max(weight, FIRST_PERSON_WEIGHT), "first_person"
    if cues.third_party.search(before[-40:]) or cues.third_party_after.match(after.strip()):
        weight, rule = weight * THIRD_PARTY_FACTOR, f"{rule}+third_party"
    if m.acronym:
        weight *= ACRONYM_FACTOR
    return weight, rule


def _line_words(text: str, m: Mention) -> int:
    start = text.rfind("\n", 0, m.start) + 1
    end = text.find("\n", m.end)
    return len(text[start : end if end >= 0 else len(text)].split())


def tld_country(domain: str) -> str | None:
    """Country hinted by a two-letter top-level domain ('uk' -> GB, 'eu' -> EU)."""
    tld = domain.rsplit(".", 1)[-1].upper() if "." in domain else ""
    if tld == "UK":
        return "GB"
    if tld == "GOV" or tld == "MIL":
        return "US"
    return tld if len(tld) == 2 else None


def rank(candidates: dict[int, Candidate], domain_agencies: list[Agency], domain: str) -> list[Candidate]:
    """Apply domain agreement and return candidates best first."""
    domain_ids = {a.id for a in domain_agencies}
    hint = tld_country(domain)
    for cand in candidates.values():
        if cand.agency.id in domain_ids:
            cand.bonus += DOMAIN_BONUS
        elif hint and cand.agency.country == hint:
            cand.bonus += TLD_BONUS
    return sorted(candidates.values(), key=lambda c: (-c.score, c.agency.id))
