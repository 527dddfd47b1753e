"""Probes and metrics of the web process: ``/healthz`` (alive), ``/readyz`` (can serve), ``/metrics``.

All three need no login: probes and scrapers carry no session. ``/metrics`` holds counts and
configuration labels only (request types, outbox kinds, mailbox and folder names), never a
subject, an address or a body; it can be switched off with ``TRIAGE_WEB_METRICS=false`` or kept
off the public side by the reverse proxy.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.engine import Engine

from store.migrate import current_heads
from triage.metrics import Metrics

log = logging.getLogger(__name__)
router = APIRouter()


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def not_ready_reason(engine: Engine) -> str | None:
    """Why the database cannot serve this code, in one line, or None when it can."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                applied = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
            except Exception:
                return "database has no migration table (run triage db upgrade)"
    except Exception as exc:
        return f"database unreachable ({type(exc).__name__})"
    expected = set(current_heads(engine.url.render_as_string(hide_password=True)))
    if applied != expected:
        have = ", ".join(sorted(applied)) or "none"
        return f"database at revision {have}, code expects {', '.join(sorted(expected))}"
    return None


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> Response:
    try:
        with _engine(request).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check failed: %s", exc)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> Response:
    reason = not_ready_reason(_engine(request))
    if reason is not None:
        log.warning("not ready: %s", reason)
        return PlainTextResponse(f"not ready: {reason}\n", status_code=503)
    return PlainTextResponse("ready\n")


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    if not request.app.state.settings.web_metrics:
        raise HTTPException(status_code=404, detail="metrics are off on this process")
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
