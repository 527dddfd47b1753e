"""JSON API for tickets, authenticated by admin-issued bearer tokens; OpenAPI docs for staff."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from store.corrections import CORRECTABLE, CorrectionError, apply_correction
from store.models import Ticket
from store.queries import MAX_PAGE_SIZE, queue
from store.tickets import fields_of
from triage.web.deps import DB, ApiUser, CurrentViewer
from triage.web.render import page
from triage.web.routes.filters import FilterParams
from triage.web.workflow import WorkflowError, set_status


class ApiError(BaseModel):
    """Every refusal: a message, or FastAPI's list of validation errors."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "a request body that is not JSON"},
    401: {"model": ApiError, "description": "no valid API token"},
    422: {"model": ApiError, "description": "invalid parameters, or a correction refused"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ApiError, "description": "no such ticket"}}
router = APIRouter(prefix="/api", tags=["tickets"], responses=ERRORS)
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class TicketOut(BaseModel):
    id: int
    reference: str
    status: str
    mail_class: str
    subject: str
    sender_address: str | None
    received_at: datetime
    agency: str | None
    country: str | None
    region: str | None
    request_type: str | None
    emergency: bool
    deadline: date | None
    statutory_deadline: datetime | None
    due_at: datetime | None
    case_reference: str | None
    legal_basis: list[str]
    targets: list[str]
    non_disclosure: bool
    sender_verified: bool | None
    needs_review: bool
    assignee_id: int | None
    url: str


class FieldOut(BaseModel):
    machine_value: Any
    confidence: float | None
    evidence: list[dict[str, Any]]
    corrected: bool
    corrected_value: Any
    corrected_by: str | None
    corrected_at: datetime | None


class TicketDetail(TicketOut):
    signals: list[dict[str, Any]]
    completeness: dict[str, Any]
    fields: dict[str, FieldOut]


class TicketPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[TicketOut]


class TicketUpdate(BaseModel):
    """Corrections by field name (validated like the UI's) and/or a new status."""

    fields: dict[str, Any] = Field(
        default_factory=dict,
        max_length=20,
        json_schema_extra={"propertyNames": {"enum": list(CORRECTABLE)}},  # documented; unknown names get a 422
    )
    status: str | None = None


def _out(request: Request, t: Ticket) -> dict[str, Any]:
    data = t.model_dump()
    data["url"] = f"{request.app.state.settings.base_url.rstrip('/')}/tickets/{t.id}"
    return data


def _detail(request: Request, db: Session, t: Ticket) -> TicketDetail:
    assert t.id is not None
    fields = {n: FieldOut(**f.model_dump()) for n, f in fields_of(db, t.id).items()}
    return TicketDetail(**_out(request, t), fields=fields)


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    request: Request,
    db: DB,
    user: ApiUser,
    filters: Annotated[FilterParams, Depends()],
    human_only: bool = Query(False, description="leave out auto-replies, bounces, list mail and spam"),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
) -> TicketPage:
    """Tickets in urgency order, with the queue's filters (status 'open' by default, or 'all')."""
    f = filters.to_filter(user.id, human_only=human_only)
    result = queue(db, f, page=page, page_size=page_size)
    items = [TicketOut(**_out(request, t)) for t in result.items]
    return TicketPage(total=result.total, page=result.page, page_size=result.page_size, items=items)


def _ticket(db: Session, ticket_id: int) -> Ticket:
    t = db.get(Ticket, ticket_id)
    if t is None:
        raise HTTPException(status_code=404, detail="no such ticket")
    return t


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=NOT_FOUND)
def get_ticket(request: Request, db: DB, user: ApiUser, ticket_id: TicketId) -> TicketDetail:
    """One ticket with its machine values, evidence and corrections."""
    return _detail(request, db, _ticket(db, ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=TicketDetail, responses=NOT_FOUND)
def update_ticket(request: Request, db: DB, user: ApiUser, ticket_id: TicketId, body: TicketUpdate) -> TicketDetail:
    """Apply corrections and/or a status change; all-or-nothing, audited as the token's user."""
    t = _ticket(db, ticket_id)
    actor = f"{user.name} (api)"
    try:
        for name, value in body.fields.items():
            apply_correction(db, t, name, value, actor)
        if body.status is not None:
            set_status(db, t, body.status, actor)
    except (CorrectionError, WorkflowError) as exc:
        db.rollback()
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return _detail(request, db, t)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, viewer: CurrentViewer) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
def docs(request: Request, viewer: CurrentViewer) -> Response:
    """The OpenAPI description rendered here (no third-party script, so the strict CSP holds)."""
    return page(request, "apidocs.html", {"viewer": viewer, "spec": request.app.openapi()})
