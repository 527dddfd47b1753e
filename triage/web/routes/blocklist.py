"""Blocked or known-compromised senders (admins only): list, add, remove, block from a ticket.

The blocklist decides whether the daemon acknowledges a sender and marks its tickets, so only
admins change it, every change goes through ``store.blocklist`` (audited), and every form
carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from store.blocklist import BlocklistError, add, list_blocks, remove
from store.models import Ticket
from triage.web.deps import DB, AdminViewer, PostingAdmin, Viewer
from triage.web.render import page

router = APIRouter(prefix="/blocklist")
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Pattern = Annotated[str, Form(max_length=320)]
Reason = Annotated[str, Form(max_length=500)]


def _render(request: Request, db: Session, viewer: Viewer, error: str | None = None) -> Response:
    context = {"viewer": viewer, "blocks": list_blocks(db), "error": error}
    return page(request, "blocklist.html", context, status_code=422 if error else 200)


@router.get("", include_in_schema=False)
def blocklist_page(request: Request, db: DB, viewer: AdminViewer) -> Response:
    return _render(request, db, viewer)


@router.post("", include_in_schema=False)
def add_block(request: Request, db: DB, viewer: PostingAdmin, pattern: Pattern, reason: Reason = "") -> Response:
    try:
        add(db, pattern, reason.strip(), actor=viewer.name)
    except BlocklistError as exc:
        db.rollback()
        return _render(request, db, viewer, error=str(exc))
    return RedirectResponse("/blocklist", status_code=303)


@router.post("/remove", include_in_schema=False)
def remove_block(request: Request, db: DB, viewer: PostingAdmin, pattern: Pattern) -> Response:
    try:
        found = remove(db, pattern, actor=viewer.name)
    except BlocklistError as exc:
        return _render(request, db, viewer, error=str(exc))
    if not found:
        return _render(request, db, viewer, error=f"{pattern} is not on the blocklist")
    return RedirectResponse("/blocklist", status_code=303)


@router.post("/from-ticket/{ticket_id}", include_in_schema=False)
def block_ticket_sender(
    db: DB,
    viewer: PostingAdmin,
    ticket_id: TicketId,
    scope: Annotated[str, Form(max_length=10)] = "address",
    reason: Reason = "",
) -> Response:
    """Block the sender address (or its whole domain) of a ticket, e.g. a look-alike."""
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    address = (ticket.sender_address or "").strip()
    if address.count("@") != 1:
        raise HTTPException(status_code=422, detail="this ticket has no sender address to block")
    pattern = address.rpartition("@")[2] if scope == "domain" else address
    why = reason.strip() or f"blocked from ticket {ticket.reference}"
    try:
        add(db, pattern, why, actor=viewer.name)
    except BlocklistError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return RedirectResponse(f"/tickets/{ticket_id}#sender", status_code=303)
