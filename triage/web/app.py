"""The app factory: nothing is built at import time; ``create_app`` wires settings and engine."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from triage.metrics import Metrics
from triage.settings import Settings
from triage.web.deps import API_CHALLENGE, API_REFUSAL, LoginRequired, bearer_user
from triage.web.render import make_templates
from triage.web.routes.api import router as api_router
from triage.web.routes.audit import router as audit_router
from triage.web.routes.auth import router as auth_router
from triage.web.routes.blocklist import router as blocklist_router
from triage.web.routes.guidelines import router as guidelines_router
from triage.web.routes.health import router as health_router
from triage.web.routes.queue import router as queue_router
from triage.web.routes.reports import router as reports_router
from triage.web.routes.tickets import router as tickets_router
from triage.web.routes.users import router as users_router
from triage.web.security import refuse_nul, security_headers
from triage.web.throttle import LoginThrottle

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """A review UI bound to ``engine``; several apps can coexist (tests, benchmarks)."""
    app = FastAPI(
        title="le-triage review API",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(refuse_nul)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.templates = make_templates()
    app.state.throttle = LoginThrottle()
    app.state.metrics = Metrics(engine)  # database gauges; the daemon's counters stay zero here
    app.middleware("http")(security_headers)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in (
        auth_router, queue_router, tickets_router, audit_router, reports_router, users_router, blocklist_router,
        api_router,
    ):  # fmt: skip
        app.include_router(router)
    app.include_router(guidelines_router)  # public guidance page for authorities (no login)
    app.include_router(health_router)  # /healthz, /readyz, /metrics: no login (probes, scrapers)
    _add_handlers(app)

    return app


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "authentication required"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "detail": str(exc.detail)}, status_code=exc.status_code
        )

    @app.exception_handler(StarletteHTTPException)
    async def _framework_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Errors raised by the framework itself (an unparsable body: 400, unknown route: 404)."""
        if exc.status_code == 400 and (refused := _api_refusal(request)):
            return refused
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if refused := _api_refusal(request):
            return refused
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _error_list(exc)}, status_code=422)
        return HTMLResponse("Invalid request", status_code=422)


def _api_refusal(request: Request) -> Response | None:
    """A 401 for an API request without a valid token whose body or parameters FastAPI refused first.

    FastAPI parses the body and parameters before it runs the token dependency; without this an
    anonymous caller could tell a malformed request (400/422) from a well-formed one.
    """
    if not request.url.path.startswith("/api/"):
        return None
    with Session(request.app.state.engine) as db:
        if bearer_user(request, db) is not None:
            return None
    return JSONResponse(API_REFUSAL, status_code=401, headers=API_CHALLENGE)


def _error_list(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Validation errors without the echoed input: undecodable bytes there made the reply a 500."""
    return [jsonable_encoder({k: v for k, v in err.items() if k != "input"}) for err in exc.errors()]
