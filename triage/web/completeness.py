"""The completeness checklist of a ticket, worded as in the guidance sent to authorities.

``ticket.completeness`` is computed at filing (``triage.completeness.check``); this module only
turns it into rows a reviewer can read, so the page says what the acknowledgment said.
"""

from __future__ import annotations

from typing import Any

from triage.guidance.content import guide

STAFF_LANGUAGE = "en"


def _label(element: str) -> str:
    return element.replace("_", " ")


def checklist(completeness: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"complete", "missing", "items"}`` or None when nothing is required (or not assessed)."""
    required = [e for e in (completeness or {}).get("required") or [] if isinstance(e, str)]
    if not completeness or not required:
        return None
    missing = [e for e in completeness.get("missing") or [] if e in required]
    words = guide(STAFF_LANGUAGE)
    items = [
        {
            "element": e,
            "label": _label(e),
            "present": e not in missing,
            "note": words["missing"].get(e, "") if e in missing else words["contains"].get(e, ""),
        }
        for e in required
    ]
    return {"complete": not missing, "missing": [_label(e) for e in missing], "items": items}


def missing_line(completeness: dict[str, Any] | None) -> str | None:
    """'missing: legal basis, date range' for the queue badge, or None when complete."""
    found = checklist(completeness)
    if found is None or found["complete"]:
        return None
    return "missing: " + ", ".join(found["missing"])
