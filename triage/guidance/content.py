"""Load the per-language guidance data and fill in the site's own values."""

from __future__ import annotations

import json
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

from triage.settings import Settings

DATA = Path(__file__).resolve().parent / "data"
FALLBACK = "en"
LANG_FILE_RE = re.compile(r"^[a-z]{2}$")


@cache
def languages() -> tuple[str, ...]:
    """Languages that have a guidance file, English first."""
    found = sorted(p.stem for p in DATA.glob("*.json") if LANG_FILE_RE.match(p.stem))
    return tuple(sorted(found, key=lambda c: (c != FALLBACK, c)))


@cache
def guide(lang: str) -> dict[str, Any]:
    """The guidance data of one language (English when there is none for ``lang``)."""
    code = lang if lang in languages() else FALLBACK
    data: dict[str, Any] = json.loads((DATA / f"{code}.json").read_text(encoding="utf-8"))
    data["code"] = code
    return data


def best_language(language: str | None) -> str:
    """'fr-CA', 'FR', 'fr_FR' -> 'fr' when there is French guidance, else English."""
    code = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return code if code in languages() else FALLBACK


def site_values(settings: Settings) -> dict[str, str]:
    """The configurable values a guidance text may name (all from settings)."""
    return {
        "organisation": settings.organisation,
        "address": settings.guidelines_address or settings.from_address,
        "emergency_phone": settings.emergency_phone,
        "support_url": settings.support_url,
        "press_address": settings.press_address,
    }


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with its ``{name}`` placeholders replaced; a missing value is a bug in the caller."""
    return text.format_map(values)


def accepted_languages(settings: Settings) -> list[str]:
    """Languages requests are accepted in: the configured list, else every guidance language."""
    return [c.strip().lower() for c in settings.guidelines_languages if c.strip()] or list(languages())


def language_name(code: str) -> str:
    """A language's own name when we have guidance in it, else its code."""
    return str(guide(code)["language_name"]) if code in languages() else code
