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


def _fold_char(c: str) -> str:
    base = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
    low = base.lower() if len(base) == 1 else c.lower()
    return low if len(low) == 1 else c


class _FoldTable(dict[int, str]):
    """``str.translate`` table of ``_fold_char``, filled on first sight of each character (at most MAX entries)."""

    MAX = 8192

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < self.MAX:
            self[code] = folded
        return folded


_FOLD = _FoldTable({ord("’"): "'", ord("`"): "'"})


def fold(text: str) -> str:
    """Lower-case, accent-free copy of ``text`` with the same length (offsets carry over)."""
    if text.isascii():
        return text.replace("`", "'").lower()
    return text.translate(_FOLD)


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

    def find(self, text: str) -> list[tuple[int, int, tuple[int, ...]]]:
        """(start, end, ids) of each phrase of ``text``; only tokens that start a phrase are tried, and
        token offsets are read only when something was found."""
        words: list[str] = TOKEN_RE.findall(text)
        lengths = self.lengths
        starts = [i for i, w in enumerate(words) if w in lengths]
        out: list[tuple[int, int, tuple[int, ...]]] = []
        spans: list[tuple[int, int]] = []
        after = 0  # a token inside the last phrase found starts none
        for i in starts:
            if i < after:
                continue
            for n in lengths[words[i]]:
                key = tuple(words[i : i + n])
                if len(key) == n and key in self.phrases:
                    spans = spans or [m.span() for m in TOKEN_RE.finditer(text)]
                    out.append((spans[i][0], spans[i + n - 1][1], tuple(sorted(self.phrases[key]))))
                    after = i + n
                    break
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
        out = [Mention(s, e, text[s:e], ids, False) for s, e, ids in self.names.find(fold(text))]
        for s, e, ids in self.acronyms.find(text):
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
