from sqlalchemy import text
from sqlmodel import Session

from store.audit import record, verify_chain


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
