"""Required literals of a regular expression: strings of which every match contains at least one.

The one prefilter of every pattern table (``nlp.spans.Compiled``): a row whose required literals
are all absent from a text cannot match it, so its scan is skipped. The literals are read from the
pattern's parse tree. Under IGNORECASE they are lower-case ASCII and are looked for in
:func:`fold` of the text, where a case-insensitive match of an ASCII literal is always a
substring; a case-sensitive pattern's literals are looked for in the text as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

# The only non-ASCII characters that re.IGNORECASE matches to ASCII letters (test_literals checks it).
_CASE_FIX = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
MIN_LEN = 2  # shorter literals are in nearly every text: such a row is left to the chunk prefilter
GRAM = 4  # words are grouped by their opening characters: a group whose opening is absent is not tested
MAX_GRAM_TEXT = 10_000  # a longer text is tested word by word (its gram set would cost more than it saves)


def fold(text: str) -> str:
    """The text as folded needles see it: a case-insensitive match of an ASCII literal stays a substring."""
    return text.translate(_CASE_FIX).lower()


@dataclass(frozen=True)
class Scan:
    """A text folded once, and the set of its ``GRAM``-character substrings (None for a long text)."""

    folded: str
    grams: frozenset[tuple[str, ...]] | None


@lru_cache(maxsize=8)
def scan(text: str) -> Scan:
    """The scan of ``text``, shared by every table that tests its words (a mail's texts are few)."""
    folded = fold(text)
    if len(folded) > MAX_GRAM_TEXT:
        return Scan(folded, None)
    return Scan(folded, frozenset(zip(*(folded[i:] for i in range(GRAM)), strict=False)))  # shorter tails end it


class WordIndex:
    """Which of many folded words occur in a text, each yielding its payload (e.g. the rows that need it).

    A word of ``GRAM`` characters or more can only be in a text that has its opening ``GRAM`` characters:
    one set intersection leaves the few words worth a substring test.
    """

    def __init__(self, words: dict[str, tuple[int, ...]]) -> None:
        self.by_gram: dict[tuple[str, ...], list[tuple[str, tuple[int, ...]]]] = {}
        self.short: list[tuple[str, tuple[int, ...]]] = []
        for word, payload in words.items():
            if len(word) >= GRAM:
                self.by_gram.setdefault(tuple(word[:GRAM]), []).append((word, payload))
            else:
                self.short.append((word, payload))
        self.every = [*self.short, *(w for group in self.by_gram.values() for w in group)]

    def __bool__(self) -> bool:
        return bool(self.every)

    def found(self, text: str) -> Iterator[tuple[int, ...]]:
        """The payload of each word in ``fold(text)``."""
        scanned = scan(text)
        folded = scanned.folded
        if scanned.grams is None:
            candidates = self.every
        else:
            candidates = [*self.short, *(w for g in self.by_gram.keys() & scanned.grams for w in self.by_gram[g])]
        for word, payload in candidates:
            if word in folded:
                yield payload


@dataclass(frozen=True)
class Needles:
    """Every match of the pattern contains one of ``words``; in ``fold(text)`` when ``folded``."""

    words: frozenset[str]
    folded: bool


def required(rx: re.Pattern[str]) -> Needles | None:
    """The needles of a compiled pattern; None when no literal of at least ``MIN_LEN`` is required."""
    try:
        items = _parser.parse(rx.pattern, rx.flags).data
    except (re.error, RecursionError):
        return None
    folded = bool(rx.flags & re.IGNORECASE)
    words = _sequence(list(items), folded)
    return Needles(frozenset(words), folded) if words else None


def _sequence(items: list[Any], folded: bool) -> set[str] | None:
    """The best needle set of a sequence: each literal run or required element is one candidate."""
    candidates: list[set[str]] = []
    run = ""
    for op, av in items:
        if op is C.LITERAL and av < 128:
            run += chr(av).lower() if folded else chr(av)
            continue
        if run:
            candidates.append({run})
            run = ""
        need = _element(op, av, folded)
        if need:
            candidates.append(need)
    if run:
        candidates.append({run})
    good = [c for c in candidates if min(len(s) for s in c) >= MIN_LEN]
    return max(good, key=lambda c: min(len(s) for s in c)) if good else None


def _element(op: Any, av: Any, folded: bool) -> set[str] | None:
    if op is C.SUBPATTERN:
        _, add_flags, del_flags, body = av
        if (add_flags or del_flags) and not folded:  # '(?i:...)' in a case-sensitive pattern
            return None
        return _sequence(list(body), folded)
    if op is C.ATOMIC_GROUP:
        return _sequence(list(av), folded)
    if op is C.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            need = _sequence(list(branch), folded)
            if not need:
                return None  # one branch needs nothing we can test: no needle for the alternation
            out |= need
        return out
    if op in _REPEATS and av[0] >= 1:
        return _sequence(list(av[2]), folded)
    return None
