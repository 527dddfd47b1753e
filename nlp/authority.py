"""What a mail domain says: authority or not, free-mail, look-alike, country and region.

Data: ``domain_countries.json`` (government suffixes, regional suffixes, authority patterns),
``freemail.json``, and the agency gazetteer's curated domains.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from confusable_homoglyphs import confusables
from rapidfuzz.distance import Levenshtein

from nlp.domains import label_suffixes, registered_domain, under_any

DATA = Path(__file__).with_name("data")
ASCII_LOOKALIKE = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("3", "e"), ("5", "s"), ("i", "l"))


@dataclass(frozen=True)
class DomainRules:
    suffixes: dict[str, str | None]
    region_suffixes: dict[str, str]
    us_state: re.Pattern[str]
    generic_tlds: frozenset[str]
    authority_patterns: tuple[re.Pattern[str], ...]
    freemail: frozenset[str]


@lru_cache(maxsize=1)
def rules() -> DomainRules:
    d: dict[str, Any] = json.loads((DATA / "domain_countries.json").read_text(encoding="utf-8"))
    free = json.loads((DATA / "freemail.json").read_text(encoding="utf-8"))["domains"]
    return DomainRules(
        suffixes=d["suffixes"],
        region_suffixes=d["region_suffixes"],
        us_state=re.compile(d["us_state_domain"]),
        generic_tlds=frozenset(d["generic_tlds"]),
        authority_patterns=tuple(re.compile(p) for p in d["authority_patterns"]),
        freemail=frozenset(free),
    )


def _longest_suffix(domain: str, table: dict[str, Any]) -> str | None:
    """The longest key of ``table`` (lower-case, no outer dots) that ``domain`` is under."""
    return next((s for s in label_suffixes(domain) if s in table), None)


def is_freemail(domain: str) -> bool:
    return registered_domain(domain) in rules().freemail or domain in rules().freemail


def gov_suffix(domain: str) -> str | None:
    """The government suffix ``domain`` sits under ('dps.texas.gov' -> 'gov'), if any."""
    return _longest_suffix(domain, rules().suffixes)


def is_authority(domain: str, curated: set[str]) -> bool:
    """Official by curation, by government suffix, or by an authority naming pattern."""
    if not domain or is_freemail(domain):
        return False
    if under_any(domain, curated):
        return True
    if gov_suffix(domain) is not None:
        return True
    return any(p.search(domain) for p in rules().authority_patterns)


MIN_TLD_SWAP_LABEL = 5


@lru_cache(maxsize=8)
def _curated_labels(curated: frozenset[str]) -> dict[str, dict[str, str]]:
    """Curated registered domains by their first label ('guardiacivil' -> {'guardiacivil.es': ...})."""
    out: dict[str, dict[str, str]] = {}
    for d in sorted(curated):
        reg = registered_domain(d)
        label = reg.split(".", 1)[0]
        if len(label) >= MIN_TLD_SWAP_LABEL:
            out.setdefault(label, {}).setdefault(reg, d)
    return out


def embedded_authority(domain: str, curated: set[str]) -> str | None:
    """A curated domain or multi-label government suffix followed by more labels ('met.police.uk.co')."""
    padded = "." + domain.lower() + "."
    for parent in sorted(curated | {s for s in rules().suffixes if "." in s}):
        i = padded.find("." + parent + ".")
        if i >= 0 and i + len(parent) + 2 < len(padded):
            return parent
    return None


def tld_swap_of(domain: str, curated: set[str]) -> str | None:
    """The curated domain that ``domain`` copies under another top-level domain, or None.

    'guardiacivil.eu' looks official to the naming patterns, but the force's domain is
    guardiacivil.es; government suffixes and curated domains are never a swap.
    """
    if not domain or under_any(domain, curated) or gov_suffix(domain) is not None:
        return None
    embedded = embedded_authority(domain, curated)
    if embedded:
        return embedded
    reg = registered_domain(domain)
    known = _curated_labels(frozenset(curated)).get(reg.split(".", 1)[0], {})
    if not known or reg in known:
        return None
    return next(iter(known.values()))


def domain_country(domain: str) -> str | None:
    """Country of a domain: government suffix first, then a two-letter country TLD."""
    suffix = gov_suffix(domain)
    if suffix is not None:
        return rules().suffixes[suffix]
    tld = domain.rsplit(".", 1)[-1].lower()
    if tld in rules().generic_tlds or len(tld) != 2:
        return None
    return "GB" if tld == "uk" else tld.upper()


def domain_region(domain: str) -> str | None:
    """ISO 3166-2 region implied by a sub-national domain ('police.nsw.gov.au' -> 'AU-NSW')."""
    suffix = _longest_suffix(domain, rules().region_suffixes)
    if suffix is not None:
        return rules().region_suffixes[suffix]
    m = rules().us_state.search(domain)
    if m:
        return f"US-{m.group(1).upper()}"
    return None


def skeleton(domain: str) -> str:
    """A comparison key that folds homoglyphs, digit swaps and separators: 'met-police-uk.com' ~ 'met.police.uk'."""
    out = []
    for ch in domain.lower():
        if ord(ch) < 128:
            out.append(ch)
            continue
        found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin"]) or []
        latin = [h["c"] for f in found for h in f.get("homoglyphs", []) if h["c"].isascii()]
        out.append(latin[0].lower() if latin else ch)
    key = "".join(out)
    for a, b in ASCII_LOOKALIKE:
        key = key.replace(a, b)
    return re.sub(r"[^a-z0-9]", "", key)


def _stem(domain: str) -> str:
    """Domain without its public suffix: 'met-police-uk.com' -> 'met-police-uk'."""
    reg = registered_domain(domain)
    suffix = reg.split(".", 1)[1] if "." in reg else ""
    return domain[: -len(suffix) - 1] if suffix and domain.endswith("." + suffix) else domain


@lru_cache(maxsize=8)
def _target_keys(curated: frozenset[str]) -> list[tuple[str, set[str]]]:
    return [(t, {skeleton(t), skeleton(_stem(t)), skeleton(t.rsplit(".", 1)[0])}) for t in sorted(curated)]


@lru_cache(maxsize=8)
def _whole_keys(curated: frozenset[str]) -> dict[str, str]:
    """Skeleton of each whole curated domain -> the first domain (in sorted order) with that skeleton."""
    out: dict[str, str] = {}
    for t in sorted(curated):
        out.setdefault(skeleton(t), t)
    return out


@lru_cache(maxsize=64)
def _targets_for_tld(curated: frozenset[str], tld: str) -> list[tuple[str, set[str]]]:
    """The target keys with the same top-level domain first, each part in sorted order."""
    return sorted(_target_keys(curated), key=lambda tk: tk[0].rsplit(".", 1)[-1] != tld)


def prepare_lookalikes(curated: set[str]) -> None:
    """Build the look-alike tables of ``curated`` now (the skeleton of every domain): at start-up, not in the
    first mail from a non-authority domain."""
    _whole_keys(frozenset(curated))
    _target_keys(frozenset(curated))


def lookalike_of(domain: str, curated: set[str]) -> str | None:
    """The curated authority domain that ``domain`` imitates, or None."""
    if not domain or under_any(domain, curated):
        return None
    keys = {skeleton(domain), skeleton(_stem(domain))}
    frozen = frozenset(curated)
    # the whole domain imitated: 'po1itie.nl' is politie.nl, not politie.be
    whole = [t for k in keys if (t := _whole_keys(frozen).get(k)) is not None]
    if whole:
        return min(whole)
    # same top-level domain first: 'aaaapolitie.nl' imitates politie.nl rather than politie.be
    targets = _targets_for_tld(frozen, domain.rsplit(".", 1)[-1])
    for target, tkeys in targets:  # exact imitation next: it names the target unambiguously
        if any(len(t) >= 5 and t in keys for t in tkeys):
            return target
    for target, tkeys in targets:
        for k in keys:
            for t in tkeys:
                if len(t) < 7:
                    continue
                if Levenshtein.distance(k, t) <= 1 or (t in k and len(k) - len(t) <= 5):
                    return target
    return None
