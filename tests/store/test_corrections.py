"""Corrections: validated, kept beside the machine value, reflected on the ticket, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.audit import verify_chain
from store.corrections import CorrectionError, apply_correction, validate
from store.models import AuditEvent, Ticket, TicketField


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("country", " gb ", "GB"),
        ("country", "EU", "EU"),
        ("region", "us-ca", "US-CA"),
        ("request_type", "preservation", "preservation"),
        ("deadline", "2026-12-31", "2026-12-31"),
        ("statutory_deadline", "2026-12-01T10:00", "2026-12-01T10:00:00+00:00"),
        ("statutory_deadline", "2026-12-01T11:00+01:00", "2026-12-01T10:00:00+00:00"),
        ("emergency", "yes", True),
        ("sender_verified", "", None),
        ("targets", "@a\n +447700900123 \n\n", ["@a", "+447700900123"]),
        ("agency", "  Garda   Síochána ", "Garda Síochána"),
        ("agency", "", None),
        ("language", "FR", "fr"),
    ],
)
def test_validate_accepts(name: str, raw: str, expected: object) -> None:
    assert validate(name, raw) == expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [("country", "UK"), ("country", "GBR"), ("region", "XX-YY"), ("request_type", "other"), ("request_type", ""),
     ("deadline", "31/12/2026"), ("emergency", "perhaps"), ("language", "xx"), ("agency", "x" * 501),
     ("status", "closed"), ("reference", "LE-1")],
)  # fmt: skip
def test_validate_refuses(name: str, raw: str) -> None:
    with pytest.raises(CorrectionError):
        validate(name, raw)


def test_apply_keeps_machine_value_and_audits(engine: Engine) -> None:
    with Session(engine) as s:
        t = Ticket(reference="LE-2026-000001", agency="Met", country="GB")
        s.add(t)
        s.flush()
        s.add(TicketField(ticket_id=t.id or 0, name="agency", machine_value="Met", confidence=0.6))
        apply_correction(s, t, "agency", "Metropolitan Police Service", "rita")
        apply_correction(s, t, "country", "gb", "rita")  # same value: nothing recorded
        apply_correction(s, t, "statutory_deadline", "2026-12-01T10:00", "rita")
        s.commit()
        tf = s.exec(select(TicketField).where(TicketField.name == "agency")).one()
        assert (tf.machine_value, tf.corrected_value, tf.corrected, tf.corrected_by) == (
            "Met", "Metropolitan Police Service", True, "rita")  # fmt: skip
        assert t.agency == "Metropolitan Police Service"
        assert t.due_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
        events = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        assert [(e.field, e.old_value) for e in events] == [("agency", "Met"), ("statutory_deadline", None)]
        assert verify_chain(s) == []
