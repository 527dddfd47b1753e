"""The stateless rules' findings for the last few mails, keyed by everything the rules read.

The pipeline asks once per mail (``classify_with_reasons``) and hands the reasons to
``decide_ack(no_reply_reasons=...)``, which then does not ask; a caller that asks for the class and
the reasons separately (``classify``, then ``header_no_reply_reasons`` or ``decide_ack`` without
them) gets the second answer from here, so the thirteen rules still run once in a process. The key
is a snapshot of the rules' inputs, so a mail changed in between, or another settings object, is
looked up afresh.
"""

from __future__ import annotations

import threading
from typing import Any

from triage.parse import ParsedMail
from triage.settings import Settings

RECENT_MAX = 32


class _Same:
    """An object as a key by identity (the key keeps it alive, so its id is not reused)."""

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


def rule_inputs(parsed: ParsedMail, settings: Settings) -> tuple[Any, ...]:
    """Everything the rules read of a mail (hashing reuses each string's cached hash: cheap)."""
    reports = tuple((a.content_type, a.data) for a in parsed.attachments if a.content_type.startswith("message/"))
    return (_Same(settings), tuple(parsed.headers), parsed.subject, parsed.from_address, parsed.message_id,
            tuple(parsed.in_reply_to), tuple(parsed.references), parsed.text, reports)


class Recent:
    """A small most-recent store: insertion-ordered, the oldest entry dropped past ``size``."""

    def __init__(self, size: int = RECENT_MAX) -> None:
        self.size = size
        self._items: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()  # mailboxes may be read in threads of one process

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[Any, ...]) -> Any:
        return self._items.get(key)

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.pop(next(iter(self._items)))
