"""The audit log, searchable by administrators (each ticket page shows its own events)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import String, cast, or_
from sqlmodel import col, select

from store.audit import verify_chain
from store.models import AuditEvent, Ticket
from triage.web.deps import DB, AdminViewer
from triage.web.render import page
from triage.web.routes.filters import parse_id
from triage.web.workflow import describe

router = APIRouter()
PAGE = 100


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    db: DB,
    viewer: AdminViewer,
    actor: str = Query("", max_length=200),
    action: str = Query("", max_length=60),
    ticket: str = Query("", max_length=40),
    q: str = Query("", max_length=200),
    page_no: int = Query(1, alias="page", ge=1, le=100_000),
    verify: bool = False,
) -> Response:
    stmt = select(AuditEvent)
    if actor.strip():
        stmt = stmt.where(col(AuditEvent.actor) == actor.strip())
    if action.strip():
        stmt = stmt.where(col(AuditEvent.action) == action.strip())
    if ticket.strip():
        found = db.exec(select(Ticket.id).where(col(Ticket.reference) == ticket.strip().upper())).first()
        tid = found if found is not None else (parse_id(ticket.strip()) or -1)
        stmt = stmt.where(col(AuditEvent.ticket_id) == tid)
    if q.strip():
        pattern = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(
                cast(AuditEvent.old_value, String).ilike(pattern),
                cast(AuditEvent.new_value, String).ilike(pattern),
                cast(AuditEvent.detail, String).ilike(pattern),
                col(AuditEvent.field).ilike(pattern),
            )
        )
    events = list(db.exec(stmt.order_by(col(AuditEvent.id).desc()).offset((page_no - 1) * PAGE).limit(PAGE + 1)))
    wanted = {e.ticket_id for e in events if e.ticket_id is not None}
    refs = {tid: ref for tid, ref in db.exec(select(Ticket.id, Ticket.reference).where(col(Ticket.id).in_(wanted)))}
    actions = list(db.exec(select(AuditEvent.action).distinct().order_by(col(AuditEvent.action))))
    return page(
        request,
        "audit.html",
        {
            "viewer": viewer,
            "events": [(e, describe(e)) for e in events[:PAGE]],
            "has_next": len(events) > PAGE,
            "page_no": page_no,
            "refs": refs,
            "actions": actions,
            "form": {"actor": actor, "action": action, "ticket": ticket, "q": q},
            "problems": verify_chain(db) if verify else None,
        },
    )
