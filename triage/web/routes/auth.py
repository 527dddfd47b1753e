"""Login and logout. A new session id is issued at every login (no session fixation)."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from store.audit import record
from store.users import authenticate, end_session, start_session
from triage.web.deps import DB, LOGIN_CSRF_COOKIE, SESSION_COOKIE, PostingViewer
from triage.web.render import page

log = logging.getLogger(__name__)
router = APIRouter()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", {"csrf": token, "error": error}, status_code=status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token, expected):
        raise HTTPException(status_code=403, detail="invalid or missing CSRF token")
    throttle = request.app.state.throttle
    client = _client(request)
    if throttle.blocked(client):
        log.warning("login throttled for %s", client)
        return _login_page(request, "Too many failed attempts. Try again in a few minutes.", 429)
    user = authenticate(db, username, password)
    if user is None:
        throttle.failed(client)
        db.commit()  # keep the failed-attempt count even though we answer with an error
        log.info("failed login for %r from %s", username[:50], client)
        record(db, "login_failed", actor=username[:200], detail={"client": client})
        return _login_page(request, "Wrong user name or password, or the account is locked.", 401)
    throttle.succeeded(client)
    end_session(db, request.cookies.get(SESSION_COOKIE))
    ws = start_session(db, user)
    record(db, "login", actor=user.name, detail={"client": client})
    log.info("login %s from %s", user.name, client)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        ws.id,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        max_age=12 * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: DB, viewer: PostingViewer) -> Response:
    end_session(db, viewer.web_session.id)
    record(db, "logout", actor=viewer.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
