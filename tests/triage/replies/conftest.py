"""Helpers of the replies tests: fixture messages and tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import count
from typing import Any

import pytest
from sqlmodel import Session

from store.models import Ticket, utcnow
from tests.conftest import FIXTURES
from triage.parse import ParsedMail, parse_bytes
from triage.settings import Settings, load_settings

MAIL = FIXTURES / "replies"
_refs = count(1)


def raw(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def parsed(name: str) -> ParsedMail:
    return parse_bytes(raw(name))


def new_ticket(session: Session, *, received_at: datetime | None = None, **fields: Any) -> Ticket:
    """A filed ticket with a fresh reference (the daemon allocates real ones)."""
    ticket = Ticket(
        reference=f"LE-2026-{next(_refs):06d}",
        subject=fields.pop("subject", "Request for subscriber information"),
        sender_address=fields.pop("sender_address", "a.keller@police.example"),
        received_at=received_at or utcnow(),
        **fields,
    )
    session.add(ticket)
    session.flush()
    return ticket


@pytest.fixture
def make_ticket() -> Callable[..., Ticket]:
    return new_ticket


@pytest.fixture(scope="module")
def plain_settings() -> Settings:
    """Settings without a database, for the stateless rules (no migration per test: fast)."""
    return load_settings(database_url="sqlite://", secret_key="test-secret")
