from collections.abc import Callable

from sqlalchemy import text
from sqlmodel import Session

from store.audit import record, verify_chain
from store.models import AuditEvent


def test_chain_detects_edit_and_delete(engine) -> None:
    with Session(engine) as s:
        for i in range(5):
            record(s, "test", actor="alice", new=i)
        s.commit()
        assert verify_chain(s) == []
        s.execute(text("UPDATE audit_event SET actor='mallory' WHERE id=2"))
        s.commit()
        assert [p.event_id for p in verify_chain(s)] == [2]
        s.execute(text("UPDATE audit_event SET actor='alice' WHERE id=2"))
        s.execute(text("DELETE FROM audit_event WHERE id=4"))
        s.commit()
        assert [p.event_id for p in verify_chain(s)] == [5]


def _run_writers(
    url: str, writers: int, each: int, transaction: Callable[[Session, int, int], None], events_per_transaction: int
) -> list:
    """``writers`` threads, each committing ``each`` transactions of ``transaction(session, writer, i)``;
    the chain's problems after all of them (and every event written)."""
    import threading

    from store.db import make_engine

    engine = make_engine(url)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(each):
                with Session(engine) as s:
                    transaction(s, n, i)
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Session(engine) as s:
        problems = verify_chain(s)
        count = len(s.exec(__import__("sqlmodel").select(AuditEvent)).all())
    engine.dispose()
    assert count == events_per_transaction * writers * each
    return problems


def _concurrent_appends(url: str, writers: int = 4, each: int = 15, write_first: bool = False) -> list:
    from store.tickets import allocate_reference

    def transaction(s: Session, n: int, i: int) -> None:
        if write_first:  # as filing does: the reference upsert first, then the chain reads its head
            allocate_reference(s, 2026)
        record(s, "concurrent", actor=f"w{n}", new=i)
        record(s, "concurrent again", actor=f"w{n}", new=i)

    return _run_writers(url, writers, each, transaction, 2)


def test_concurrent_writers_never_fork_the_chain_sqlite(db_url: str) -> None:
    assert _concurrent_appends(db_url) == []


def test_concurrent_writers_never_fork_the_chain_postgres(pg_url: str) -> None:
    assert _concurrent_appends(pg_url) == []


def test_concurrent_writers_that_wrote_first_never_fork_the_chain_sqlite(db_url: str) -> None:
    assert _concurrent_appends(db_url, write_first=True) == []


def test_concurrent_writers_that_wrote_first_never_fork_the_chain_postgres(pg_url: str) -> None:
    assert _concurrent_appends(pg_url, write_first=True) == []


def test_after_a_write_the_first_event_reads_the_head_then_inserts(engine) -> None:
    from collections import Counter

    from sqlalchemy import event

    from store.tickets import allocate_reference

    with Session(engine) as s:
        record(s, "before")
        s.commit()
    kinds: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        kinds[statement.split(None, 1)[0].upper()] += 1

    with Session(engine) as s:
        allocate_reference(s, 2026)
        kinds.clear()
        record(s, "after a write")
        counted = Counter(kinds)
        s.commit()
        assert verify_chain(s) == []
    if engine.dialect.name == "sqlite":
        assert counted == Counter({"SELECT": 1, "INSERT": 1})


def _savepoint_rollback_then_more(url: str) -> list:
    """Events appended in one transaction, one of them inside a savepoint that is rolled back."""
    from store.db import make_engine

    eng = make_engine(url)
    with Session(eng) as s:
        record(s, "first")
        record(s, "second")  # predecessor known without asking the database
        nested = s.begin_nested()
        record(s, "lost")
        nested.rollback()
        with s.begin_nested():
            record(s, "kept")  # appended inside a savepoint that is released
        record(s, "third")  # the rolled-back id is reused (SQLite) or skipped (PostgreSQL): asked again
        s.commit()
        record(s, "next transaction")
        s.commit()
        actions = [e.action for e in s.exec(__import__("sqlmodel").select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["first", "second", "kept", "third", "next transaction"]
        return verify_chain(s)


def test_chain_within_one_transaction_and_across_savepoints_sqlite(db_url: str) -> None:
    assert _savepoint_rollback_then_more(db_url) == []


def test_chain_within_one_transaction_and_across_savepoints_postgres(pg_url: str) -> None:
    assert _savepoint_rollback_then_more(pg_url) == []


def test_events_after_the_first_of_a_transaction_cost_one_insert_and_flush_nothing(engine) -> None:
    from collections import Counter

    from sqlalchemy import event

    from store.models import Ticket

    kinds: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        kinds[statement.split(None, 1)[0].upper()] += 1

    with Session(engine) as s:
        record(s, "first")
        first = dict(kinds)
        pending = Ticket(reference="LE-2026-000001")
        s.add(pending)
        record(s, "second")
        record(s, "third")
        assert pending in s.new  # the session's own objects are not flushed by an append
        after = dict(kinds)
        s.rollback()
        record(s, "after a rollback")  # a new transaction: the head is read again
        s.commit()
        assert [e.action for e in s.exec(__import__("sqlmodel").select(AuditEvent))] == ["after a rollback"]
        assert verify_chain(s) == []
    postgres = engine.dialect.name == "postgresql"
    assert sum(after.values()) - sum(first.values()) == (4 if postgres else 2)  # nextval + INSERT, or INSERT


def test_the_digest_of_an_event_is_unchanged() -> None:
    """Pinned: the hash of a fixed event, as the chain computed it from an ``AuditEvent`` model."""
    from datetime import UTC, datetime

    from store.audit import _digest, _stored

    ev = AuditEvent(id=7, at=datetime(2026, 11, 30, 3, 4, 5, 678901, tzinfo=UTC), actor="system", ticket_id=12,
                    action="ack_sent", field=None, old_value=None, new_value={"x": [1, "é"]},
                    detail={"outbox_id": 3, "response": "250 ok"}, prev_hash="ab" * 32, hash="")
    assert _digest(_stored(ev)) == "0c60da5c8061d92bb3cc525f2ab9be96eb9a197b90dea44b8266bff8f20c03e6"


def test_record_many_appends_in_order_on_every_path(engine) -> None:
    """First events of a transaction (SQLite: the INSERT takes the lock), after a write, after an event."""
    from sqlmodel import select

    from store.audit import NewEvent, record_many, wrote
    from store.tickets import allocate_reference

    with Session(engine) as s:
        first = record_many(s, [NewEvent("a1", new=1), NewEvent("a2", detail={"k": "v"})])
        record(s, "b")
        more = record_many(s, [NewEvent("c1", actor="alice"), NewEvent("c2"), NewEvent("c3")])
        s.commit()
        allocate_reference(s, 2026)
        wrote(s)
        after_write = record_many(s, [NewEvent("d1"), NewEvent("d2")])
        assert record_many(s, []) == []
        s.commit()
        stored = list(s.exec(select(AuditEvent).order_by(AuditEvent.id)))
        assert [e.action for e in stored] == ["a1", "a2", "b", "c1", "c2", "c3", "d1", "d2"]
        assert verify_chain(s) == []
    returned = first + more + after_write
    assert [(r.id, r.hash, r.prev_hash) for r in returned] == [
        (e.id, e.hash, e.prev_hash) for e in stored if e.action != "b"
    ]
    assert first[1].detail == {"k": "v"} and more[0].actor == "alice"


def test_record_many_once_the_head_is_known_is_one_insert(engine) -> None:
    from collections import Counter

    from sqlalchemy import event

    from store.audit import NewEvent, record_many

    kinds: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        kinds[statement.split(None, 1)[0].upper()] += 1

    with Session(engine) as s:
        record(s, "first")
        kinds.clear()
        record_many(s, [NewEvent(f"e{i}") for i in range(20)])
        counted = Counter(kinds)
        s.commit()
        assert verify_chain(s) == []
    postgres = engine.dialect.name == "postgresql"
    # one INSERT for all (PostgreSQL first draws the 20 ids: one statement; executemany may be counted once)
    assert counted == (Counter({"WITH": 1, "INSERT": 1}) if postgres else Counter({"INSERT": 1}))


def _concurrent_batches(url: str, writers: int = 4, each: int = 10) -> list:
    from store.audit import NewEvent, record_many

    def transaction(s: Session, n: int, i: int) -> None:
        record_many(s, [NewEvent("batch", actor=f"w{n}", new=[i, j]) for j in range(3)])
        record(s, "single", actor=f"w{n}", new=i)

    return _run_writers(url, writers, each, transaction, 4)


def test_concurrent_batches_never_fork_the_chain_sqlite(db_url: str) -> None:
    assert _concurrent_batches(db_url) == []


def test_concurrent_batches_never_fork_the_chain_postgres(pg_url: str) -> None:
    assert _concurrent_batches(pg_url) == []
