"""The agency gazetteer: ``data/agencies.jsonl`` loaded once, matched as token sequences.

Names and aliases are matched case- and accent-insensitively on a folded copy of the text
that keeps every character offset; acronyms are matched case-sensitively (``AFP`` the police,
not "afp" in a word), and only from three characters up.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

AGENCIES_FILE = Path(__file__).with_name("data") / "agencies.jsonl"
MIN_ACRONYM = 3


@dataclass(frozen=True)
class Agency:
    id: int
    name: str
    aliases: tuple[str, ...]
    acronyms: tuple[str, ...]
    country: str | None
    region: str | None
    domains: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    ids: tuple[int, ...]
    acronym: bool


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    base = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
    low = base.lower() if len(base) == 1 else c.lower()
    return low if len(low) == 1 else c


def fold(text: str) -> str:
    """Lower-case, accent-free copy of ``text`` with the same length (offsets carry over)."""
    text = text.replace("’", "'").replace("`", "'")
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


def load_agencies(path: Path = AGENCIES_FILE) -> list[Agency]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        d = json.loads(line)
        out.append(
            Agency(
                n,
                d["name"],
                tuple(d.get("aliases", [])),
                tuple(d.get("acronyms", [])),
                d.get("country"),
                d.get("region"),
                tuple(d.get("domains", [])),
                d.get("kind", "police"),
            )
        )
    return out


TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text)]


class PhraseIndex:
    """Token-sequence phrase matcher: longest match first, left to right.

    Plain dictionaries rather than a spaCy Vocab: a long-running daemon must not grow a
    string store with every new word it reads.
    """

    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], set[int]] = {}
        self.lengths: dict[str, list[int]] = {}

    def add(self, phrase: str, agency_id: int) -> None:
        key = tuple(t for _, _, t in tokenize(phrase))
        if not key:
            return
        self.phrases.setdefault(key, set()).add(agency_id)
        lengths = self.lengths.setdefault(key[0], [])
        if len(key) not in lengths:
            lengths.append(len(key))
            lengths.sort(reverse=True)

    def find(self, tokens: list[tuple[int, int, str]]) -> list[tuple[int, int, tuple[int, ...]]]:
        out = []
        i = 0
        words = [t for _, _, t in tokens]
        while i < len(tokens):
            hit = None
            for n in self.lengths.get(words[i], ()):
                key = tuple(words[i : i + n])
                if len(key) == n and key in self.phrases:
                    hit = (tokens[i][0], tokens[i + n - 1][1], tuple(sorted(self.phrases[key])))
                    i += n
                    break
            if hit is None:
                i += 1
            else:
                out.append(hit)
        return out


class Gazetteer:
    """Build once per process."""

    def __init__(self, agencies: list[Agency] | None = None) -> None:
        self.agencies = agencies if agencies is not None else load_agencies()
        self.names = PhraseIndex()
        self.acronyms = PhraseIndex()
        self.by_domain: dict[str, list[Agency]] = {}
        for a in self.agencies:
            for phrase in {a.name, *a.aliases}:
                if len(phrase) >= 3:
                    self.names.add(fold(phrase), a.id)
            for acr in a.acronyms:
                if len(acr) >= MIN_ACRONYM:
                    self.acronyms.add(acr, a.id)
            for d in a.domains:
                self.by_domain.setdefault(d.lower(), []).append(a)

    def find(self, text: str) -> list[Mention]:
        """Longest non-overlapping mentions of known agencies in ``text``."""
        if not text:
            return []
        out = [Mention(s, e, text[s:e], ids, False) for s, e, ids in self.names.find(tokenize(fold(text)))]
        for s, e, ids in self.acronyms.find(tokenize(text)):
            if not any(m.start < e and s < m.end for m in out):
                out.append(Mention(s, e, text[s:e], ids, True))
        return sorted(out, key=lambda m: m.start)

    def for_domain(self, domain: str) -> list[Agency]:
        """Agencies whose mail domains cover ``domain``, the most specific domain first."""
        labels = domain.lower().strip(".").split(".")
        for i in range(len(labels) - 1):
            hits = self.by_domain.get(".".join(labels[i:]))
            if hits:
                return list(hits)
        return []

    def all_domains(self) -> set[str]:
        return set(self.by_domain)


def gazetteer(resources: dict[str, Any]) -> Gazetteer:
    """The shared gazetteer of this extractor."""
    if "gazetteer" not in resources:
        resources["gazetteer"] = Gazetteer()
    gz: Gazetteer = resources["gazetteer"]
    return gz
