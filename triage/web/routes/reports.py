"""Reports page (SVG charts) and its CSV downloads."""

from __future__ import annotations

import csv
import io
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from triage.web.deps import DB, CurrentViewer
from triage.web.render import page
from triage.web.reports import chart, medians, weekly

router = APIRouter(prefix="/reports")
Weeks = Query(12, ge=1, le=104)


@router.get("", include_in_schema=False)
def reports_page(request: Request, db: DB, viewer: CurrentViewer, weeks: int = Weeks) -> Response:
    by_type = weekly(db, "request_type", weeks)
    by_country = weekly(db, "country", weeks)
    return page(
        request,
        "reports.html",
        {
            "viewer": viewer,
            "weeks": weeks,
            "charts": [
                ("Tickets per week by request type", chart(by_type), "request_type"),
                ("Tickets per week by country", chart(by_country), "country"),
            ],
            "medians": medians(db),
        },
    )


def _csv(rows: list[list[object]], name: str) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        # a leading = + - @ would make a spreadsheet evaluate the cell (CSV injection)
        writer.writerow(["'" + v if isinstance(v, str) and v and v[0] in "=+-@" else v for v in row])
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/weekly.csv", include_in_schema=False)
def weekly_csv(
    db: DB, viewer: CurrentViewer, by: Literal["request_type", "country"] = "request_type", weeks: int = Weeks
) -> Response:
    data = weekly(db, by, weeks)
    return _csv([["week", by, "tickets"], *[list(r) for r in data.rows()]], f"tickets-per-week-by-{by}.csv")


@router.get("/medians.csv", include_in_schema=False)
def medians_csv(db: DB, viewer: CurrentViewer) -> Response:
    rows: list[list[object]] = [["metric", "median_hours", "tickets"]]
    rows += [[m.name, "" if m.hours is None else m.hours, m.count] for m in medians(db)]
    return _csv(rows, "median-handling-times.csv")
