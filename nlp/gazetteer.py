"""The agency gazetteer: ``data/agencies.jsonl`` loaded once, matched with spaCy PhraseMatchers.

Names and aliases are matched case- and accent-insensitively on a folded copy of the text
that keeps every character offset; acronyms are matched case-sensitively (``AFP`` the police,
not "afp" in a word), and only from three characters up.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.domains import under

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


def fold(text: str) -> str:
    """Lower-case, accent-free copy of ``text`` with the same length (offsets carry over)."""
    return "".join(_fold_char(c) for c in text.replace("’", "'").replace("`", "'"))


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


class Gazetteer:
    """Build once per process (the matchers hold a few thousand patterns)."""

    def __init__(self, nlp: Any, agencies: list[Agency] | None = None) -> None:
        from spacy.matcher import PhraseMatcher

        self.nlp = nlp
        self.agencies = agencies if agencies is not None else load_agencies()
        self.names = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.acronyms = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.phrase_ids: dict[str, set[int]] = {}
        self.acronym_ids: dict[str, set[int]] = {}
        for a in self.agencies:
            for phrase in {a.name, *a.aliases}:
                key = fold(phrase)
                if len(key) >= 3:
                    self.phrase_ids.setdefault(key, set()).add(a.id)
            for acr in a.acronyms:
                if len(acr) >= MIN_ACRONYM:
                    self.acronym_ids.setdefault(acr, set()).add(a.id)
        for key in self.phrase_ids:
            self.names.add(key, [nlp.make_doc(key)])
        for acr in self.acronym_ids:
            self.acronyms.add(acr, [nlp.make_doc(acr)])

    def find(self, text: str) -> list[Mention]:
        """Longest non-overlapping mentions of known agencies in ``text``."""
        if not text:
            return []
        from spacy.util import filter_spans

        folded = self.nlp.make_doc(fold(text))
        plain = self.nlp.make_doc(text)
        spans = []
        for match_id, start, end in self.names(folded):
            spans.append(folded[start:end])
            spans[-1].label_ = self.nlp.vocab.strings[match_id]
        acr_spans = []
        for match_id, start, end in self.acronyms(plain):
            acr_spans.append(plain[start:end])
            acr_spans[-1].label_ = self.nlp.vocab.strings[match_id]
        out: list[Mention] = []
        for span in filter_spans(spans):
            ids = tuple(sorted(self.phrase_ids[span.label_]))
            out.append(Mention(span.start_char, span.end_char, text[span.start_char : span.end_char], ids, False))
        taken = [(m.start, m.end) for m in out]
        for span in filter_spans(acr_spans):
            if any(s < span.end_char and span.start_char < e for s, e in taken):
                continue
            ids = tuple(sorted(self.acronym_ids[span.label_]))
            out.append(Mention(span.start_char, span.end_char, span.text, ids, True))
        return sorted(out, key=lambda m: m.start)

    def for_domain(self, domain: str) -> list[Agency]:
        """Agencies whose mail domains cover ``domain``, the most specific domain first."""
        hits: list[tuple[int, Agency]] = []
        for a in self.agencies:
            best = max((len(d) for d in a.domains if under(domain, d)), default=0)
            if best:
                hits.append((best, a))
        if not hits:
            return []
        top = max(n for n, _ in hits)
        return [a for n, a in hits if n == top]

    def all_domains(self) -> set[str]:
        return {d for a in self.agencies for d in a.domains}


def gazetteer(resources: dict[str, Any]) -> Gazetteer:
    """The shared gazetteer of this extractor."""
    if "gazetteer" not in resources:
        from nlp.models import blank_tokenizer

        resources["gazetteer"] = Gazetteer(blank_tokenizer(resources))
    gz: Gazetteer = resources["gazetteer"]
    return gz
