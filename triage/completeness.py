"""Is a request complete enough to act on? Required elements per type, from a data table.

The table (``data/completeness.json``) says which elements each request type needs; presence
comes from the extracted fields and from the ``elements`` the extractor marks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from nlp.types import Extraction

TABLE = Path(__file__).with_name("data") / "completeness.json"

PRESENCE: dict[str, Callable[[Extraction], bool]] = {
    "issuing_authority": lambda x: bool(x.agency),
    "jurisdiction": lambda x: bool(x.country),
    "case_reference": lambda x: bool(x.case_reference),
    "legal_basis": lambda x: bool(x.legal_basis),
    "targets": lambda x: bool(x.targets),
    "deadline": lambda x: bool(x.deadline or x.statutory_deadline),
    "named_official": lambda x: x.elements.get("named_official", False),
    "data_categories": lambda x: x.elements.get("data_categories", False),
    "date_range": lambda x: x.elements.get("date_range", False),
    "emergency_justification": lambda x: x.elements.get("emergency_justification", False),
}


@cache
def required_elements() -> dict[str, tuple[str, ...]]:
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    return {k: tuple(v) for k, v in data.items() if not k.startswith("_")}


def check(extraction: Extraction) -> dict[str, Any]:
    """``{"request_type", "required", "present", "missing", "complete"}`` for one extraction."""
    required = required_elements().get(extraction.request_type or "", ())
    present = [e for e in required if PRESENCE[e](extraction)]
    missing = [e for e in required if e not in present]
    return {
        "request_type": extraction.request_type,
        "required": list(required),
        "present": present,
        "missing": missing,
        "complete": not missing,
    }
