"""The ticket page and every reviewer action on it (corrections, status, assignment, notes, checks).

Ids in paths are integers, and a message id is only accepted together with the ticket it
belongs to, so a crafted URL reaches nothing the page would not link to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from nlp.types import FIELDS
from store.audit import record
from store.corrections import CorrectionError, apply_correction
from store.messages import messages_of_ticket
from store.models import REQUEST_TYPES, TICKET_STATUSES, Ticket, TicketMessage, User
from store.related import related_tickets
from store.tickets import ack_summary, fields_of, outbox_of
from triage.web import replies
from triage.web.completeness import checklist
from triage.web.deps import DB, CurrentViewer, PostingViewer, Viewer
from triage.web.evidence import build_views, source_texts
from triage.web.mailhtml import sanitize
from triage.web.rawmail import attachment, raw_bytes
from triage.web.render import page
from triage.web.signals import signal_views, ticket_block
from triage.web.workflow import (
    WorkflowError,
    add_note,
    assign,
    check_verification,
    describe,
    set_status,
    ticket_audit,
    verification_items,
    verification_state,
)

router = APIRouter(prefix="/tickets")
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MessageId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def load_ticket(db: Session, ticket_id: int) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    return ticket


def _message_of(db: Session, ticket: Ticket, message_id: int) -> TicketMessage:
    message = db.get(TicketMessage, message_id)
    if message is None or message.ticket_id != ticket.id:
        raise HTTPException(status_code=404, detail="no such message on this ticket")
    return message


def _primary(thread: list[TicketMessage]) -> TicketMessage | None:
    """The message the fields were extracted from: the first inbound one with an extraction."""
    inbound = [m for m in thread if m.direction == "inbound"]
    with_extraction = [m for m in inbound if m.extraction]
    candidates = with_extraction or inbound
    return candidates[0] if candidates else None


def _field_rows(ticket: Ticket, fields: dict[str, Any], anchors: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for name in FIELDS:
        tf = fields.get(name)
        value = getattr(ticket, name, None)
        rows.append(
            {
                "name": name,
                "value": value,
                "tf": tf,
                "anchors": anchors.get(name, []),
                "evidence": [e for e in (tf.evidence if tf else []) if isinstance(e, dict)],
            }
        )
    return rows


def render_ticket(
    request: Request, db: Session, viewer: Viewer, ticket: Ticket, error: str | None = None, status_code: int = 200
) -> Response:
    assert ticket.id is not None
    thread = list(messages_of_ticket(db, ticket.id))
    fields = fields_of(db, ticket.id)
    primary = _primary(thread)
    views, anchors = build_views(fields, source_texts(primary))
    outbox = list(outbox_of(db, ticket.id))
    users = list(db.exec(select(User).where(col(User.active)).order_by(col(User.name))))
    assignee = db.get(User, ticket.assignee_id) if ticket.assignee_id else None
    audit = ticket_audit(db, ticket.id)
    blocked = ticket_block(db, ticket.sender_address)
    return page(
        request,
        "ticket.html",
        {
            "viewer": viewer,
            "t": ticket,
            "error": error,
            "rows": _field_rows(ticket, fields, anchors),
            "views": views,
            "primary": primary,
            "thread": thread,
            "html": {m.id: sanitize(m.body_html) for m in thread if m.body_html},
            "outbox": outbox,
            "ack": ack_summary(outbox),
            "users": users,
            "assignee": assignee,
            "statuses": TICKET_STATUSES,
            "request_types": REQUEST_TYPES,
            "audit": [(ev, describe(ev)) for ev in audit],
            "signals": signal_views(ticket.signals or [], blocked),
            "blocked": blocked,
            "completeness": checklist(ticket.completeness),
            "related": related_tickets(db, ticket),
            "checklist": verification_items(),
            "checked": verification_state(db, ticket.id),
            "reply_templates": replies.template_names(),
        },
        status_code=status_code,
    )


def _back(ticket_id: int, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/tickets/{ticket_id}{anchor}", status_code=303)


ACTION_ERRORS = (CorrectionError, WorkflowError, replies.ReplyError)


def _act(
    request: Request, db: Session, viewer: Viewer, ticket_id: int, action: Callable[[Ticket], object],
    anchor: str = "", error_prefix: str = "",
) -> Response:
    """Run one reviewer action on a ticket: back to the page, or the page again with the refusal (422)."""
    ticket = load_ticket(db, ticket_id)
    try:
        action(ticket)
    except ACTION_ERRORS as exc:
        db.rollback()
        return render_ticket(request, db, viewer, ticket, error=f"{error_prefix}{exc}", status_code=422)
    return _back(ticket_id, anchor)


@router.get("/{ticket_id}", include_in_schema=False)
def ticket_page(request: Request, db: DB, viewer: CurrentViewer, ticket_id: TicketId) -> Response:
    # Opening the page is not audited (only the raw message is): every audit append is a write
    # that serialises with the daemon's, and page views would bury the changes in the trail.
    return render_ticket(request, db, viewer, load_ticket(db, ticket_id))


@router.post("/{ticket_id}/fields/{name}", include_in_schema=False)
def correct_field(
    request: Request,
    db: DB,
    viewer: PostingViewer,
    ticket_id: TicketId,
    name: Annotated[str, Path(max_length=40)],
    value: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    return _act(request, db, viewer, ticket_id, lambda t: apply_correction(db, t, name, value, viewer.name),
                "#fields", error_prefix=f"{name}: ")


@router.post("/{ticket_id}/status", include_in_schema=False)
def change_status(
    request: Request, db: DB, viewer: PostingViewer, ticket_id: TicketId, status: Annotated[str, Form(max_length=30)]
) -> Response:
    return _act(request, db, viewer, ticket_id, lambda t: set_status(db, t, status, viewer.name))


@router.post("/{ticket_id}/assign", include_in_schema=False)
def change_assignee(
    request: Request,
    db: DB,
    viewer: PostingViewer,
    ticket_id: TicketId,
    assignee: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    user_id: int | None = None
    if assignee == "me":
        user_id = viewer.user.id
    elif assignee.isdigit():
        user_id = int(assignee)
    return _act(request, db, viewer, ticket_id, lambda t: assign(db, t, user_id, viewer.name))


@router.post("/{ticket_id}/notes", include_in_schema=False)
def post_note(
    request: Request, db: DB, viewer: PostingViewer, ticket_id: TicketId, text: Annotated[str, Form(max_length=20_000)]
) -> Response:
    return _act(request, db, viewer, ticket_id, lambda t: add_note(db, t, text, viewer.name), "#thread")


@router.post("/{ticket_id}/verification", include_in_schema=False)
def post_verification(
    request: Request,
    db: DB,
    viewer: PostingViewer,
    ticket_id: TicketId,
    code: Annotated[str, Form(max_length=60)],
    done: Annotated[str, Form(max_length=5)] = "1",
) -> Response:
    return _act(request, db, viewer, ticket_id,
                lambda t: check_verification(db, t, code, done == "1", viewer.name), "#sender")


@router.post("/{ticket_id}/reply", include_in_schema=False)
def post_reply(
    request: Request,
    db: DB,
    viewer: PostingViewer,
    ticket_id: TicketId,
    template: Annotated[str, Form(max_length=60)],
    body: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    settings = request.app.state.settings
    return _act(request, db, viewer, ticket_id,
                lambda t: replies.queue_reply(db, settings, t, template, body, viewer.name), "#thread")


@router.get("/{ticket_id}/messages/{message_id}/raw", include_in_schema=False)
def raw_message(
    db: DB, viewer: CurrentViewer, request: Request, ticket_id: TicketId, message_id: MessageId
) -> Response:
    """The archived message as plain text (never rendered as HTML); each view is audited."""
    ticket = load_ticket(db, ticket_id)
    message = _message_of(db, ticket, message_id)
    data = raw_bytes(db, request.app.state.settings, message)
    if data is None:
        raise HTTPException(status_code=404, detail="the raw message is not in the archive")
    record(db, "raw_viewed", actor=viewer.name, ticket_id=ticket.id, detail={"message_id": message.id})
    return Response(
        data.decode("utf-8", errors="replace"),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": "inline; filename=message.txt"},
    )


@router.get("/{ticket_id}/messages/{message_id}/attachments/{index}", include_in_schema=False)
def download_attachment(
    db: DB,
    viewer: CurrentViewer,
    request: Request,
    ticket_id: TicketId,
    message_id: MessageId,
    index: Annotated[int, Path(ge=0, le=1000)],
) -> Response:
    """Always a download, never rendered: the browser must not interpret hostile content."""
    ticket = load_ticket(db, ticket_id)
    message = _message_of(db, ticket, message_id)
    found = attachment(db, request.app.state.settings, message, index)
    if found is None:
        raise HTTPException(status_code=404, detail="no such attachment")
    record(
        db,
        "attachment_downloaded",
        actor=viewer.name,
        ticket_id=ticket.id,
        detail={"message_id": message.id, "index": index, "filename": found.filename},
    )
    ascii_name = found.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
