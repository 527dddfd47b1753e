"""Skip a pattern cheaply when a text cannot match it: the literal words it needs are absent.

Scanning ~150 case-insensitive phrase patterns over each text is most of the request-type
rules' cost, and most patterns cannot match most mails. From each pattern's parse tree we take a
set of ASCII literals, one of which every match must contain ("subpoena", "search warrant", ...);
a substring test on the lower-cased text then decides whether the regex needs to run at all.
Patterns where no such set is found always run, so hits are exactly those of a plain scan.
"""

from __future__ import annotations

import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

# The only non-ASCII characters that re.IGNORECASE matches to ASCII letters (test_prefilter checks it).
_CASE_FIX = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_REPEATS = (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT)


def fold(text: str) -> str:
    """The text as needle tests see it: a case-insensitive match of an ASCII literal stays a substring."""
    return text.translate(_CASE_FIX).lower()


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-case ASCII strings one of which is in every match of ``pattern``; None when unknown."""
    try:
        tree = _parser.parse(pattern)
    except re.error:
        return None
    found = _required(list(tree))
    return frozenset(found) if found else None


def _required(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Best needle set of a sequence: each literal run or required element is one candidate."""
    candidates: list[set[str]] = []
    run = ""
    for op, av in items:
        if op is c.LITERAL and av < 128:
            run += chr(av).lower()
            continue
        if run:
            candidates.append({run})
            run = ""
        need = _element(op, av)
        if need:
            candidates.append(need)
    if run:
        candidates.append({run})
    return max(candidates, key=lambda s: min(len(x) for x in s), default=None)


def _element(op: Any, av: Any) -> set[str] | None:
    if op is c.SUBPATTERN:
        return _required(list(av[-1]))
    if op is c.ATOMIC_GROUP:
        return _required(list(av))
    if op is c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            need = _required(list(branch))
            if not need:
                return None  # one branch needs nothing we can test: no needle for the alternation
            out |= need
        return out
    if op in _REPEATS and av[0] >= 1:
        return _required(list(av[2]))
    return None


class Needles:
    """Per-pattern needle sets; ``may_match`` is False only when the pattern surely cannot match."""

    def __init__(self, patterns: list[str]) -> None:
        self.sets = [required_literals(p) for p in patterns]

    def may_match(self, index: int, folded: str) -> bool:
        need = self.sets[index]
        return need is None or any(n in folded for n in need)
