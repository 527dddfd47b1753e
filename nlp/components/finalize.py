"""Pipeline component `finalize` (runs last): settle fields that depend on several components.

An ordinary person writing about something that is not a law-enforcement matter has no
"sender verification" (SCHEMA.md: null): `sender` ran before `request_type` knew that, so
``sender_verified`` is set back to None here unless the sender is an authority domain.
(Agency and jurisdiction need no fix-up: they are only set for named agencies or
authority domains.)
"""

from __future__ import annotations

import logging
from typing import Any

from nlp.registry import Doc, register
from nlp.types import NlpConfig

log = logging.getLogger(__name__)


@register("finalize")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config

    def __call__(self, doc: Doc) -> None:
        r = doc.result
        if r.request_type != "not_law_enforcement" or doc.cache.get("sender_official"):
            return
        log.info("not a law-enforcement matter from a non-authority sender: sender_verified is not applicable")
        r.sender_verified = None
        r.confidence.pop("sender_verified", None)
