"""Admin-curated blocked or known-compromised senders (``SenderBlock``).

A pattern is either a full address (``officer@police.example``: that mailbox only, e.g. a
hijacked police account) or a domain (``police-example.com`` or ``@police-example.com``: the
domain and every subdomain, e.g. a look-alike). Matching builds the few candidate patterns of
an address and looks them up in the whole list, read at most once a second per engine
(``CACHE_SECONDS``): the daemon files dozens of messages a second and the list changes by hand.
A change is seen at once by the session that made it and by sessions of this process that
read the list after it; elsewhere (the web UI in another process, the CLI) within
``CACHE_SECONDS``. Every change is written to the audit chain.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.audit import record
from store.models import SenderBlock

LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$|^xn--[a-z0-9-]{1,59}$")
MAX_PATTERN = 320
MEMO_KEY = "blocklist_match"  # session.info key of the per-session memo of match()
CHANGED_KEY = "blocklist_changed"  # session.info: this session changed the list (its own view, not the cache)
CACHE_SECONDS = 1.0  # how stale the shared copy of the list may be for a change made by another process


class BlocklistError(ValueError):
    """A pattern that is neither an address nor a domain."""


def _domain(value: str) -> str:
    domain = value.strip().strip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise BlocklistError(f"not a valid domain: {value!r}") from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(LABEL.match(label) for label in labels):
        raise BlocklistError(f"not a valid domain: {value!r}")
    return domain


def normalise(pattern: str) -> str:
    """The stored form of a pattern: lowercased, IDNA for domains, no leading '@'."""
    pattern = pattern.strip()
    if not pattern or len(pattern) > MAX_PATTERN or any(c.isspace() for c in pattern):
        raise BlocklistError(f"not an address or domain: {pattern!r}")
    if pattern.startswith("@"):
        return _domain(pattern[1:])
    if pattern.count("@") == 1:
        local, domain = pattern.split("@")
        if not local:
            raise BlocklistError(f"not an address: {pattern!r}")
        return f"{local.lower()}@{_domain(domain)}"
    if "@" in pattern:
        raise BlocklistError(f"not an address or domain: {pattern!r}")
    return _domain(pattern)


def candidates(address: str) -> list[str]:
    """Patterns that would block ``address``: itself, its domain and each parent domain."""
    address = address.strip().lower()
    if address.count("@") != 1:
        return []
    local, domain = address.split("@")
    try:
        domain = _domain(domain)
    except BlocklistError:
        return [address]
    labels = domain.split(".")
    parents = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    return [f"{local}@{domain}", *parents]


def add(session: Session, pattern: str, reason: str = "", actor: str = "system") -> SenderBlock:
    """Block ``pattern`` (or update its reason when already blocked)."""
    key = normalise(pattern)
    block = session.exec(select(SenderBlock).where(SenderBlock.pattern == key)).first()
    old = block.reason if block else None
    if block is None:
        block = SenderBlock(pattern=key, reason=reason, created_by=actor)
    else:
        block.reason = reason
    session.add(block)
    session.flush()
    _changed(session)
    record(session, "sender_blocked", actor=actor, field="blocklist", old=old, new={"pattern": key, "reason": reason})
    return block


def remove(session: Session, pattern: str, actor: str = "system") -> bool:
    """Unblock ``pattern``; False when it was not blocked."""
    key = normalise(pattern)
    block = session.exec(select(SenderBlock).where(SenderBlock.pattern == key)).first()
    if block is None:
        return False
    record(session, "sender_unblocked", actor=actor, field="blocklist", old={"pattern": key, "reason": block.reason})
    session.delete(block)
    session.flush()
    _changed(session)
    return True


def list_blocks(session: Session) -> list[SenderBlock]:
    return list(session.exec(select(SenderBlock).order_by(col(SenderBlock.pattern))))


def match(session: Session, address: str) -> SenderBlock | None:
    """The most specific block covering ``address``, or None (a new, unattached row when found).

    Remembered for the session (filing asks twice per message: to flag the ticket and to
    gate the acknowledgment); ``add`` and ``remove`` forget it. A session that changed the list
    looks in the database (its uncommitted change is nobody else's yet); others in the shared copy.
    """
    memo: dict[str, SenderBlock | None] = session.info.setdefault(MEMO_KEY, {})
    if address in memo:
        return memo[address]
    keys = candidates(address)
    if session.info.get(CHANGED_KEY):
        found = {b.pattern: _Block.of(b) for b in session.exec(select(SenderBlock).where(
            col(SenderBlock.pattern).in_(keys)))} if keys else {}
    else:
        found = _shared_list(session)
    hit = next((found[k] for k in keys if k in found), None)
    memo[address] = hit.row() if hit is not None else None
    return memo[address]


@dataclass(frozen=True)
class _Block:
    """An immutable copy of a ``SenderBlock`` row: what the shared list holds."""

    id: int | None
    pattern: str
    reason: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: SenderBlock) -> _Block:
        return cls(row.id, row.pattern, row.reason, row.created_by, row.created_at)

    def row(self) -> SenderBlock:
        return SenderBlock(id=self.id, pattern=self.pattern, reason=self.reason, created_by=self.created_by,
                           created_at=self.created_at)


_SHARED: WeakKeyDictionary[Engine, tuple[float, dict[str, _Block]]] = WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def _shared_list(session: Session) -> dict[str, _Block]:
    """The whole list, pattern -> block, read again when older than ``CACHE_SECONDS``."""
    engine = session.get_bind().engine
    cached = _SHARED.get(engine)
    now = time.monotonic()
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    with session.no_autoflush:
        blocks = {b.pattern: _Block.of(b) for b in session.exec(select(SenderBlock))}
    with _SHARED_LOCK:
        _SHARED[engine] = (now, blocks)
    return blocks


def _changed(session: Session) -> None:
    """After ``add``/``remove``: this session sees its own list; every session re-reads the shared copy."""
    session.info.pop(MEMO_KEY, None)
    session.info[CHANGED_KEY] = True
    with _SHARED_LOCK:
        _SHARED.pop(session.get_bind().engine, None)


def blocked_reason(session: Session, address: str) -> str | None:
    """A sentence for the reviewer saying why ``address`` is blocked, or None when it is not."""
    block = match(session, address)
    if block is None:
        return None
    what = "address" if "@" in block.pattern else "domain"
    why = f": {block.reason}" if block.reason else ""
    return f"sender {what} {block.pattern} is on the blocklist{why}"
