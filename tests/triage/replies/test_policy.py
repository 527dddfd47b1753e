"""decide_ack: the stateful rules (14-16, already acknowledged, sender gate) and their order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store import blocklist
from store.db import make_engine, session_scope
from store.models import Outbox, SenderRate, utcnow
from tests.triage.replies.conftest import new_ticket, parsed
from triage.parse import ParsedMail
from triage.replies import rules
from triage.replies.policy import AckDecision, decide_ack, sender_gate
from triage.settings import Settings


def _decide(session: Session, settings: Settings, mail: ParsedMail, **kw: object) -> AckDecision:
    ticket = kw.pop("ticket", None) or new_ticket(session, sender_address=mail.from_address)
    args: dict[str, object] = {"new_ticket": True, "mail_class": "human", "sender_verified": True} | kw
    return decide_ack(session, settings, mail, ticket, **args)  # type: ignore[arg-type]


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {r.key: r.count for r in session.exec(select(SenderRate)).all()}


def test_a_verified_new_request_is_acknowledged(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        assert _decide(session, settings, parsed("human.eml")) == AckDecision(True, None)
    assert _counts(engine) == {"addr:a.keller@police.example": 1, "domain:police.example": 1, "global:*": 1}


def test_header_rules_come_first_and_are_all_named(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        decision = _decide(session, settings, parsed("r09_dsn_permanent.eml"), mail_class="bounce")
    assert not decision.send and decision.reason
    assert "auto-submitted: auto-replied" in decision.reason and "delivery report" in decision.reason
    assert _counts(engine) == {}  # nothing counted for a mail we do not answer


def test_header_reasons_found_where_the_mail_was_classified_are_used(settings: Settings, engine: Engine) -> None:
    """The reader (perhaps another process) hands its reasons over: the same decision, no second run of the rules."""
    mail = parsed("r09_dsn_permanent.eml")
    reasons = rules.header_no_reply_reasons(mail, settings)
    with session_scope(engine) as session:
        looked_up = _decide(session, settings, mail, mail_class="bounce")
        handed = _decide(session, settings, mail, mail_class="bounce", no_reply_reasons=reasons)
        stated = _decide(session, settings, parsed("human.eml"), no_reply_reasons=["given: x"])
    assert handed == looked_up and not handed.send
    assert stated == AckDecision(False, "given: x")


def test_non_human_class_without_header_reason(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        decision = _decide(session, settings, parsed("human.eml"), mail_class="spam")
    assert decision == AckDecision(False, "not a human message (spam)")


def test_follow_up_is_not_acknowledged(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        decision = _decide(session, settings, parsed("followup.eml"), new_ticket=False)
    assert decision == AckDecision(False, "follow-up to an existing ticket")


def test_already_acknowledged_ticket(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        ticket = new_ticket(session, acknowledged_at=utcnow())
        assert _decide(session, settings, parsed("human.eml"), ticket=ticket).reason == "ticket already acknowledged"
        queued = new_ticket(session)
        session.add(Outbox(ticket_id=queued.id, kind="ack", status="queued"))
        session.flush()
        assert _decide(session, settings, parsed("human.eml"), ticket=queued).reason == "ticket already acknowledged"
        suppressed = new_ticket(session)
        session.add(Outbox(ticket_id=suppressed.id, kind="ack", status="suppressed", reason="x"))
        session.flush()
        assert _decide(session, settings, parsed("human.eml"), ticket=suppressed).send


def test_a_fresh_ticket_is_decided_without_asking_the_outbox(settings: Settings, engine: Engine) -> None:
    """The filing step's ticket was inserted in its transaction, nothing queued for it: the same decision
    with no outbox query; an acknowledged_at already set still counts."""
    asked: list[str] = []

    def _count(conn: object, cursor: object, statement: str, *args: object) -> None:
        asked.extend([statement] if "FROM outbox" in statement else [])

    event.listen(engine, "before_cursor_execute", _count)
    try:
        with session_scope(engine) as session:
            assert _decide(session, settings, parsed("human.eml"), fresh_ticket=True) == AckDecision(True, None)
            assert asked == []
            stamped = new_ticket(session, acknowledged_at=utcnow())
            assert not _decide(session, settings, parsed("human.eml"), ticket=stamped, fresh_ticket=True).send
            assert _decide(session, settings, parsed("human.eml")).send
            assert len(asked) == 1  # not fresh: the outbox is asked, as for an ack queued earlier
    finally:
        event.remove(engine, "before_cursor_execute", _count)


@pytest.mark.parametrize("verified", [False, None])
def test_sender_gate_refuses_unverified(verified: bool | None, settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        decision = _decide(session, settings, parsed("human.eml"), sender_verified=verified)
        assert decision == AckDecision(False, "sender not verified")
        lenient = settings.model_copy(update={"ack_unverified": True})
        assert _decide(session, lenient, parsed("human.eml"), sender_verified=verified).send


def test_sender_gate_refuses_blocked_senders(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        blocklist.add(session, "@police.example", reason="known compromised domain")  # stored as the domain
        assert sender_gate(session, settings, parsed("human.eml"), True) == "sender blocked: known compromised domain"
        sub = parsed("r08_system_address.eml")  # portal.police.example: a subdomain is covered too
        assert sender_gate(session, settings, sub, True) == "sender blocked: known compromised domain"
        sub.from_address = "a.keller@police.example.org"  # another domain
        assert sender_gate(session, settings, sub, True) is None


def test_old_mail_is_not_acknowledged(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        old = new_ticket(session, received_at=utcnow() - timedelta(days=15))
        assert _decide(session, settings, parsed("human.eml"), ticket=old).reason == "mail older than 14 days"
        recent = new_ticket(session, received_at=utcnow() - timedelta(days=13))
        assert _decide(session, settings, parsed("human.eml"), ticket=recent).send
        off = settings.model_copy(update={"ack_max_age_days": 0})
        older = new_ticket(session, received_at=utcnow() - timedelta(days=400))
        assert _decide(session, off, parsed("human.eml"), ticket=older).send


def test_rate_limit_per_sender_is_durable(settings: Settings, engine: Engine) -> None:
    limited = settings.model_copy(update={"ack_rate_per_sender": 2})
    mail = parsed("human.eml")
    for expected in (True, True):
        with session_scope(engine) as session:  # one transaction per message, like the daemon
            assert _decide(session, limited, mail).send is expected
    # a new engine (a restarted daemon) still sees the counters: they are rows, not memory
    fresh = make_engine(str(engine.url))
    with session_scope(fresh) as session:
        decision = _decide(session, limited, mail)
    assert decision == AckDecision(False, "rate limit: 2 acknowledgments an hour to sender a.keller@police.example")
    counts = _counts(fresh)
    assert counts["addr:a.keller@police.example"] == 2 and counts["domain:police.example"] == 2  # refusal not counted
    # an alias with +tag and other case is the same sender
    tagged = parsed("human.eml")
    tagged.from_address = "A.Keller+case4411@Police.Example"
    with session_scope(fresh) as session:
        assert not _decide(session, limited, tagged).send
    # the next hour opens a new window
    with session_scope(fresh) as session:
        later = utcnow() + timedelta(hours=1)
        assert _decide(session, limited, mail, now=later).send
    fresh.dispose()


def test_rate_limit_per_domain(settings: Settings, engine: Engine) -> None:
    limited = settings.model_copy(update={"ack_rate_per_domain": 2, "ack_rate_per_sender": 0})
    results = []
    for i in range(3):
        mail = parsed("human.eml")
        mail.from_address = f"officer{i}@police.example"
        with session_scope(engine) as session:
            results.append(_decide(session, limited, mail))
    assert [r.send for r in results] == [True, True, False]
    assert results[2].reason == "rate limit: 2 acknowledgments an hour to domain police.example"
    assert "addr:officer0@police.example" not in _counts(engine)  # 0 means no limit: nothing counted


def test_global_circuit_breaker(settings: Settings, engine: Engine) -> None:
    limited = settings.model_copy(update={"ack_rate_global": 1})
    with session_scope(engine) as session:
        assert _decide(session, limited, parsed("human.eml")).send
        other = parsed("r08_not_system_requests.eml")
        other.from_address = "someone@other-police.example"
        assert _decide(session, limited, other).reason == "rate limit: 1 acknowledgments an hour to all senders"


def test_rate_limit_on_postgres(settings: Settings, pg_url: str) -> None:
    pg = make_engine(pg_url)
    try:
        limited = settings.model_copy(update={"ack_rate_per_sender": 2, "database_url": pg_url})
        sent = []
        for _ in range(3):
            with session_scope(pg) as session:
                sent.append(_decide(session, limited, parsed("human.eml")).send)
        assert sent == [True, True, False]
        assert _counts(pg)["addr:a.keller@police.example"] == 2
    finally:
        pg.dispose()
