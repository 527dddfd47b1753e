"""Target identifiers of a request: usernames, t.me links, phone numbers, e-mail addresses, user ids.

Everything is normalized the way reviewers file it (``@name``, ``t.me/name/123``, E.164, lowercase
e-mail). The officer's own contact lines (signature, desk/fax lines, sender address) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers

from nlp.spans import DATA, closing_offset, load_json
from nlp.types import Evidence, Source


@dataclass(frozen=True)
class Found:
    value: str
    evidence: Evidence


class TargetFinder:
    """Compiled target patterns; built once per extractor."""

    def __init__(self) -> None:
        d: dict[str, Any] = load_json(DATA / "legal" / "targets.json")
        self.rx = {k: re.compile(d[k], re.IGNORECASE) for k in (
            "username", "labelled_username", "tme", "email", "user_id", "phone_candidate", "phone_cue",
            "own_phone_labels", "target_phone_labels", "post_list")}
        self.own_domains = {x.lower() for x in d["own_domains"]}
        self.excluded_usernames = {x.lower() for x in d["excluded_usernames"]}

    def find(self, source: Source, text: str, region: str | None, exclude_emails: set[str],
             blocked: list[tuple[int, int]]) -> list[Found]:
        """All targets in one source text; ``blocked`` spans (e.g. the case reference) are skipped."""
        signoff = closing_offset(text) if source in ("body", "quote", "forward") else len(text)
        out: list[Found] = []
        taken: list[tuple[int, int]] = list(blocked)
        for m in self.rx["tme"].finditer(text):
            name = m.group("v").rstrip("/")
            out.append(self._found("t.me/" + name, source, m, "tme_link"))
            taken.append(m.span())
            out.extend(self._post_list(name, source, text, m.end()))
        for m in self.rx["email"].finditer(text):
            addr = m.group("v").lower().rstrip(".")
            taken.append(m.span())
            if m.start() >= signoff or source == "signature" or addr in exclude_emails:
                continue
            if _HEADER_LINE.match(text, max(text.rfind("\n", 0, m.start()) + 1, m.start() - PREFIX_CHARS)) \
                    or _MACHINE_ID.match(addr):
                continue
            if addr.split("@", 1)[1] in self.own_domains:
                continue
            out.append(self._found(addr, source, m, "email"))
        for m in self.rx["username"].finditer(text):
            if _overlaps(m.span(), taken) or m.group("v").lower() in self.excluded_usernames:
                continue
            out.append(self._found("@" + m.group("v"), source, m, "username"))
        for m in self.rx["labelled_username"].finditer(text):  # "Username: vendor_x", written without the @
            if not _overlaps(m.span("v"), taken) and m.group("v").lower() not in self.excluded_usernames:
                out.append(self._found("@" + m.group("v"), source, m, "labelled_username"))
                taken.append(m.span("v"))
        for m in self.rx["user_id"].finditer(text):
            if _overlaps(m.span("v"), taken) or m.start() >= signoff or source == "signature":
                continue  # an id in the officer's signature is a badge or staff number
            out.append(self._found(m.group("v"), source, m, "user_id"))
            taken.append(m.span("v"))
        if source != "signature":
            out.extend(self._phones(source, text, region, signoff, taken))
        return out

    def _phones(self, source: Source, text: str, region: str | None, signoff: int,
                taken: list[tuple[int, int]]) -> list[Found]:
        out: list[Found] = []
        for m in self.rx["phone_candidate"].finditer(text):
            if m.start() >= signoff or _overlaps(m.span("v"), taken):
                continue
            raw = m.group("v")
            if _DATE_SHAPE.fullmatch(raw.strip()):
                continue  # "IP logs from 01.01.2026": a date after a phone cue is no number
            line_start = max(text.rfind("\n", 0, m.start()) + 1, m.start() - PREFIX_CHARS)
            prefix = text[line_start:m.start()]
            prefix = _SENTENCE_END.split(prefix)[-1]  # "...this account. Phone the duty officer on": one sentence
            international = raw.startswith(("+", "00"))
            if not international and not self.rx["phone_cue"].search(prefix):
                continue
            if self._own_line(text, m, prefix, line_start):
                continue
            number = _parse_phone(raw, region)
            if number:
                out.append(self._found(number, source, m, "phone"))
        return out

    def _own_line(self, text: str, m: re.Match[str], prefix: str, line_start: int) -> bool:
        """The officer's own line: a contact label before the number in its sentence, in a note right
        after it ("(duty desk, 24/7)"), or in the heading line just above ("Contact details:")."""
        own, target = self.rx["own_phone_labels"], self.rx["target_phone_labels"]
        note = _NOTE.match(text, m.end())
        context = prefix + (" " + (note.group(1) or note.group(2)) if note else "")
        if target.search(context):
            return False
        if own.search(context):
            return True
        if prefix.strip() and not _BARE_LABEL.fullmatch(prefix.strip()):
            return False
        above = text[:line_start].rstrip().rpartition("\n")[2]
        return above.rstrip().endswith(":") and bool(own.search(above)) and not target.search(above)

    def _post_list(self, name: str, source: Source, text: str, pos: int) -> list[Found]:
        """Posts listed after a link as ``t.me/chan/203, /204 und /209``."""
        parts = name.split("/")
        if parts[0] == "c":  # a private channel's link "t.me/c/1873341122/45": the id is part of the channel
            parts = ["/".join(parts[:2]), *parts[2:]]
        channel = parts[0]
        out: list[Found] = []
        if len(parts) == 1:  # "the channel t.me/chan, in posts 14, 15 and 19"
            m = self.rx["post_list"].match(text, pos)
            if m:
                for num in re.findall(r"\d+", m.group("v")):
                    out.append(self._found(f"t.me/{channel}/{num}", source, m, "tme_post_list"))
            return out
        while m := _MORE_POSTS.match(text, pos):
            out.append(self._found(f"t.me/{channel}/{m.group(1)}", source, m, "tme_post_list"))
            pos = m.end()
        return out

    @staticmethod
    def _found(value: str, source: Source, m: re.Match[str], rule: str) -> Found:
        return Found(value, Evidence(text=m.group(0), source=source, start=m.start(), end=m.end(), rule=rule))


_NOTE = re.compile(r"[ \t]*(?:[(\[]([^)\]\n]{1,40})[)\]]|[-–,][ \t]*([^\n.;,]{1,40}))")
_BARE_LABEL = re.compile(r"[\w .()/-]{0,20}:?")  # "Tel.:", "Mobile:", "Phone (24h):" alone on the line
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z])")
PREFIX_CHARS = 80  # how far back on the line a phone label is looked for
_MORE_POSTS = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b|\bi\b|\bou\b|&)\s*/(\d{1,9})\b")
_HEADER_LINE = re.compile(r"[>\s]*(?:from|to|cc|von|an|de|à|para|da|a|van|aan|od|do)\s?:", re.IGNORECASE)
_DATE_SHAPE = re.compile(r"\d{1,2}([./-])\d{1,2}\1(?:19|20)\d{2}|(?:19|20)\d{2}([./-])\d{1,2}\2\d{1,2}")
_MACHINE_ID = re.compile(r"^[^@]*\d{8}[^@]*@")


def _parse_phone(raw: str, region: str | None) -> str | None:
    text = "+" + raw[2:] if raw.startswith("00") else raw
    if not text.startswith("+") and not region:
        region = None
    try:
        num = phonenumbers.parse(text, None if text.startswith("+") else (region or "ZZ"))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)
