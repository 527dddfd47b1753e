"""Default factories: fresh values per instance, and a declared signature so building a row stays cheap."""

from __future__ import annotations

from pydantic._internal._fields import takes_validated_data_argument

from store.models import AuditEvent, Outbox, RawMessage, Ticket, TicketField, TicketMessage


def _factories() -> list[object]:
    tables = (AuditEvent, Outbox, RawMessage, Ticket, TicketField, TicketMessage)
    return [f.default_factory for table in tables for f in table.model_fields.values() if f.default_factory]


def test_every_default_factory_declares_that_it_takes_no_argument() -> None:
    factories = _factories()
    assert factories
    for factory in factories:
        assert getattr(factory, "__signature__", None) is not None, factory
        assert takes_validated_data_argument(factory) is False  # type: ignore[arg-type]


def test_defaults_are_fresh_per_instance() -> None:
    one, two = Ticket(reference="LE-2026-000001"), Ticket(reference="LE-2026-000002")
    one.targets.append("@x")
    one.completeness["ok"] = True
    assert two.targets == [] and two.completeness == {} and one.legal_basis is not two.legal_basis
    assert one.created_at.tzinfo is not None and TicketMessage(ticket_id=1, direction="note").headers == []

