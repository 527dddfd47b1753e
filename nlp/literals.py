"""Required literals of a regular expression: strings of which every match contains at least one.

A row whose required literals are all absent from a text cannot match it, so its scan is
skipped by a substring test. Under IGNORECASE only characters whose case folding in ``re`` is
exactly ``str.lower`` are kept (ASCII except i, s and k, which also match 'ı', 'ſ' and the
Kelvin sign): the test on ``text.lower()`` then never hides a match.
"""

from __future__ import annotations

import re
import string
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_SAFE_FOLDED = set(string.ascii_lowercase + string.digits + string.punctuation + " ") - set("isk")
MIN_LEN = 2  # shorter literals filter too little to pay for the test


def required(rx: re.Pattern[str]) -> list[str] | None:
    """Literals (lowercased under IGNORECASE) one of which is in every match; None when unknown."""
    try:
        items = _parser.parse(rx.pattern, rx.flags).data
    except (re.error, RecursionError):
        return None
    return _sequence(items, bool(rx.flags & re.IGNORECASE))


def _sequence(items: list[Any], fold: bool) -> list[str] | None:
    """The best alternative set among the literal runs and the mandatory parts of a sequence."""
    candidates: list[list[str]] = []
    run = ""
    for op, arg in items:
        ch = _char(op, arg, fold)
        if ch is not None:
            run += ch
            continue
        if run:
            candidates.append([run])
            run = ""
        sub = _item(op, arg, fold)
        if sub:
            candidates.append(sub)
    if run:
        candidates.append([run])
    good = [c for c in candidates if min(len(s) for s in c) >= MIN_LEN]
    return max(good, key=lambda c: min(len(s) for s in c)) if good else None


def _char(op: Any, arg: Any, fold: bool) -> str | None:
    if op is not C.LITERAL:
        return None
    ch = chr(arg)
    if fold:
        return ch.lower() if ch.lower() in _SAFE_FOLDED and ch.isascii() else None
    return ch


def _item(op: Any, arg: Any, fold: bool) -> list[str] | None:
    if op is C.SUBPATTERN:
        _, add_flags, del_flags, body = arg
        return None if add_flags or del_flags else _sequence(body.data if hasattr(body, "data") else body, fold)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _, body = arg
        return _sequence(list(body), fold) if low >= 1 else None
    if op is C.ATOMIC_GROUP:
        return _sequence(list(arg), fold)
    if op is C.BRANCH:
        out: list[str] = []
        for branch in arg[1]:
            sub = _sequence(list(branch), fold)
            if not sub:
                return None
            out.extend(sub)
        return out
    return None
