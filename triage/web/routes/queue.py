"""The queue page: open tickets by urgency, filters kept in the URL so a view can be shared."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select

from store.models import REQUEST_TYPES, TICKET_STATUSES, Ticket, User
from store.queries import count, distinct_values, queue, urgent_open
from triage.web.deps import DB, CurrentViewer
from triage.web.render import page
from triage.web.routes.filters import FilterParams
from triage.web.signals import blocked_senders

router = APIRouter()


@router.get("/", include_in_schema=False)
def queue_page(
    request: Request,
    db: DB,
    viewer: CurrentViewer,
    filters: Annotated[FilterParams, Depends()],
    automatic: str | None = None,
    page_no: int = Query(1, alias="page", ge=1, le=100_000),
) -> Response:
    f = filters.to_filter(viewer.user.id, human_only=automatic != "1")
    result = queue(db, f, page=page_no)
    # auto-replies, bounces and list mail are filed too, but must not bury emergencies: hidden
    # by default, counted so the reviewer knows they are there
    hidden = count(db, replace(f, human_only=False)) - result.total if f.human_only else 0
    params = f.as_params()
    if filters.assignee == "me":
        params["assignee"] = "me"
    if not f.human_only:
        params["automatic"] = "1"
    users = {u.id: u.name for u in db.exec(select(User).order_by(col(User.name)))}
    return page(
        request,
        "queue.html",
        {
            "viewer": viewer,
            "result": result,
            "urgent": urgent_open(db),
            "hidden_automatic": hidden,
            "show_automatic_url": "/?" + urlencode({**params, "automatic": "1"}),
            "blocked": blocked_senders(db, [t.sender_address for t in result.items]),
            "f": f,
            "assignee": filters.assignee or "",
            "params": params,
            "page_url": lambda n: "/?" + urlencode({**params, "page": n}),
            "statuses": TICKET_STATUSES,
            "request_types": REQUEST_TYPES,
            "countries": distinct_values(db, col(Ticket.country)),
            "users": users,
        },
    )
