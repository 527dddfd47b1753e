"""Pipeline component `sender` (placeholder until implemented)."""

from __future__ import annotations

from typing import Any

from nlp.registry import Doc, register
from nlp.types import NlpConfig


@register("sender")
class Component:
    def __init__(self, config: NlpConfig, resources: dict[str, Any]) -> None:
        self.config = config

    def __call__(self, doc: Doc) -> None:
        return None
