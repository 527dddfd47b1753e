"""Registered pipeline components, spaCy-style: the pipeline's shape lives in ``pipeline.json``.

A component is a class registered under a name; it is built once with the config and the
shared resources, then called on each :class:`Doc`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from nlp.types import Extraction, MessageInput, NlpConfig


@dataclass
class Doc:
    """One message on its way through the pipeline.

    ``texts`` maps a source name (subject, body, signature, quote, forward, attachment) to its
    prepared text; evidence offsets refer to these strings. ``cache`` lets components share
    work (e.g. spaCy docs) without recomputing it.
    """

    msg: MessageInput
    result: Extraction
    texts: dict[str, str] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def main_text(self) -> str:
        """Subject and new body text: where the request itself is stated."""
        return "\n".join(t for k in ("subject", "body") if (t := self.texts.get(k)))


class Component(Protocol):
    def __call__(self, doc: Doc) -> None: ...


ComponentFactory = Callable[[NlpConfig, dict[str, Any]], Component]
_REGISTRY: dict[str, ComponentFactory] = {}


def register(name: str) -> Callable[[ComponentFactory], ComponentFactory]:
    """Class decorator: make a component available under ``name``."""

    def deco(factory: ComponentFactory) -> ComponentFactory:
        _REGISTRY[name] = factory
        return factory

    return deco


def build(name: str, config: NlpConfig, resources: dict[str, Any]) -> Component:
    if name not in _REGISTRY:
        raise KeyError(f"unknown pipeline component {name!r}; registered: {sorted(_REGISTRY)}")
    return _REGISTRY[name](config, resources)
