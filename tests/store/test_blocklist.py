"""Blocklist patterns: addresses and domains (with subdomains), never look-alikes by accident."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.audit import verify_chain
from store.blocklist import BlocklistError, add, blocked_reason, candidates, list_blocks, match, normalise, remove
from store.models import AuditEvent


@pytest.mark.parametrize(
    ("pattern", "stored"),
    [
        ("Officer@Police.Example", "officer@police.example"),
        ("@Police.Example.", "police.example"),
        ("police.example", "police.example"),
        ("polizéi.example", "xn--polizi-fva.example"),
    ],
)
def test_normalise(pattern: str, stored: str) -> None:
    assert normalise(pattern) == stored


@pytest.mark.parametrize("bad", ["", "   ", "a@b@c.example", "@", "no-dot", "a b@c.example", "x@", "@-bad-.example"])
def test_normalise_rejects(bad: str) -> None:
    with pytest.raises(BlocklistError):
        normalise(bad)


def test_candidates() -> None:
    assert candidates("A@Mail.Police.Example") == ["a@mail.police.example", "mail.police.example", "police.example"]
    assert candidates("not-an-address") == []


def test_add_match_remove(engine: Engine) -> None:
    with Session(engine) as s:
        add(s, "hijacked@police.example", "mailbox reported compromised", actor="admin")
        add(s, "po1ice.example", "look-alike of police.example", actor="admin")
        s.commit()
        assert [b.pattern for b in list_blocks(s)] == ["hijacked@police.example", "po1ice.example"]
        assert match(s, "Hijacked@Police.Example") is not None
        assert match(s, "colleague@police.example") is None
        assert match(s, "x@mail.po1ice.example") is not None
        assert match(s, "x@po1ice.example.evil.example") is None
        assert match(s, "x@xpo1ice.example") is None
        assert match(s, "garbage") is None
        reason = blocked_reason(s, "anyone@po1ice.example")
        assert reason == "sender domain po1ice.example is on the blocklist: look-alike of police.example"
        assert blocked_reason(s, "colleague@police.example") is None
        assert remove(s, "PO1ICE.example", actor="admin") is True
        assert remove(s, "po1ice.example") is False
        s.commit()
        assert blocked_reason(s, "anyone@po1ice.example") is None


def test_most_specific_block_wins_and_re_add_updates_reason(engine: Engine) -> None:
    with Session(engine) as s:
        add(s, "police.example", "whole domain")
        add(s, "boss@police.example", "first")
        add(s, "boss@police.example", "second")
        s.commit()
        assert len(list_blocks(s)) == 2
        block = match(s, "boss@police.example")
        assert block is not None and block.reason == "second"


def test_changes_are_audited(engine: Engine) -> None:
    with Session(engine) as s:
        add(s, "bad.example", "spam", actor="alice")
        remove(s, "bad.example", actor="bob")
        s.commit()
        events = list(s.exec(select(AuditEvent)))
        assert [(e.action, e.actor) for e in events] == [("sender_blocked", "alice"), ("sender_unblocked", "bob")]
        assert verify_chain(s) == []


def test_a_remembered_answer_is_forgotten_when_the_list_changes(engine: Engine) -> None:
    with Session(engine) as s:
        assert match(s, "new@spoof.example") is None  # remembered for the session ...
        add(s, "spoof.example", "spoofing")
        block = match(s, "new@spoof.example")  # ... until a block is added
        assert block is not None and block.pattern == "spoof.example"


def test_a_change_made_elsewhere_is_seen_once_the_shared_copy_is_older_than_its_limit(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store import blocklist
    from store.db import make_engine

    clock = [1000.0]
    monkeypatch.setattr(blocklist.time, "monotonic", lambda: clock[0])
    with Session(engine) as s:
        assert match(s, "a@elsewhere.example") is None  # the shared copy is read now
    other = make_engine(db_url)  # another process (the web UI, the CLI): this engine's copy is not told
    try:
        with Session(other) as s:
            add(s, "elsewhere.example", "look-alike")
            s.commit()
    finally:
        other.dispose()
    clock[0] += blocklist.CACHE_SECONDS / 2
    with Session(engine) as s:
        assert match(s, "a@elsewhere.example") is None  # still within the limit
    clock[0] += blocklist.CACHE_SECONDS
    with Session(engine) as s:
        block = match(s, "a@elsewhere.example")
        assert block is not None and block.reason == "look-alike" and block.pattern == "elsewhere.example"


def test_an_uncommitted_change_is_its_sessions_own(engine: Engine) -> None:
    with Session(engine) as admin, Session(engine) as daemon:
        add(admin, "pending.example", "not yet")
        assert match(admin, "x@pending.example") is not None
        assert match(daemon, "x@pending.example") is None  # nobody else sees it before the commit
        admin.rollback()
    with Session(engine) as later:
        assert match(later, "x@pending.example") is None  # and a rolled-back change never shows


def test_a_committed_change_of_this_process_is_seen_at_once(engine: Engine) -> None:
    with Session(engine) as s:
        assert match(s, "x@now.example") is None
    with Session(engine) as s:
        add(s, "x@now.example", "hijacked")
        s.commit()
    with Session(engine) as s:
        assert (blocked_reason(s, "X@now.example") or "").startswith("sender address x@now.example is on the")
        remove(s, "x@now.example")
        s.commit()
    with Session(engine) as s:
        assert match(s, "x@now.example") is None
