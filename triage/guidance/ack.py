"""The note an acknowledgment adds when a verified authority's request lacks required elements.

Categories only ("no legal basis was cited"): the note never repeats what the sender wrote.
A complete request gets no note; an emergency gets the emergency procedure.
"""

from __future__ import annotations

import logging
from typing import Any

from triage.guidance.content import fill, guide, site_values
from triage.settings import Settings

log = logging.getLogger(__name__)


def missing_elements(completeness: dict[str, Any] | None) -> list[str]:
    return [str(e) for e in (completeness or {}).get("missing", [])]


def emergency_text(settings: Settings, lang: str) -> str:
    """The emergency procedure in ``lang``, with the phone line only when one is configured."""
    g = guide(lang)
    parts = [g["emergency"]["procedure"]]
    if settings.emergency_phone:
        parts.append(fill(g["emergency"]["phone"], site_values(settings)))
    return " ".join(parts)


def completeness_note(
    settings: Settings,
    *,
    lang: str,
    reference: str,
    request_type: str | None,
    completeness: dict[str, Any] | None,
    emergency: bool,
    sender_verified: bool | None,
) -> str:
    """The text to add to the acknowledgment, or '' (unverified sender, complete request, turned off)."""
    if not settings.ack_completeness or sender_verified is not True:
        return ""
    g = guide(lang)
    missing = [e for e in missing_elements(completeness) if e in g["missing"]]
    blocks: list[str] = []
    if missing:
        lines = [g["ack"]["missing_intro"], *[f"  - {g['missing'][e]}" for e in missing]]
        type_name = g["request_types"].get(request_type or "")
        required = [str(e) for e in (completeness or {}).get("required", []) if e in g["contains"]]
        if type_name and required:
            lines += ["", fill(g["ack"]["complete_intro"], {"type_name": type_name})]
            lines += [f"  - {g['contains'][e]}" for e in required]
        lines += ["", fill(g["ack"]["missing_outro"], {"reference": reference})]
        blocks.append("\n".join(lines))
    if emergency:
        blocks.append(f"{g['ack']['emergency_heading']}: {emergency_text(settings, lang)}")
    if missing:
        log.info("ack note: reference=%s missing=%s emergency=%s lang=%s", reference, missing, emergency, g["code"])
    return "\n\n".join(blocks)
