"""Pipeline component `finalize` (runs last): settle fields that depend on several components.

An ordinary person writing about something that is not a law-enforcement matter has no
"sender verification" (SCHEMA.md: null): `sender` ran before `request_type` knew that, so
``sender_verified`` is set back to None here unless the sender is an authority domain.
An agency guessed from a signature line the gazetteer does not know is dropped as well
(with its jurisdiction): for a private person it is their employer, not a requester.
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
        if doc.cache.get("agency_weak"):
            log.info("weak agency guess %r dropped for a not-law-enforcement message", r.agency)
            r.agency = r.country = r.region = None
            for key in ("agency", "country", "region"):
                r.confidence.pop(key, None)
