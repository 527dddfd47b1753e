"""Request dependencies: database session, the logged-in viewer, CSRF checks, API token auth.

Pages raise :class:`LoginRequired` (turned into a redirect to the login page by the app) and
the API answers 401; there is no route that skips these checks except login, static files
and ``/healthz``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.models import User, WebSession
from store.users import session_user, token_user
from triage.settings import Settings

SESSION_COOKIE = "lt_session"
LOGIN_CSRF_COOKIE = "lt_login_csrf"


class LoginRequired(Exception):
    """No valid session: the app redirects pages to the login screen."""


@dataclass(frozen=True)
class Viewer:
    """The logged-in staff member and their session (for the CSRF token)."""

    user: User
    web_session: WebSession

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"

    @property
    def csrf(self) -> str:
        return self.web_session.csrf_token


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_db(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A session per request, committed when the handler returns without error.

    Used with ``scope="function"`` so the commit happens before the response leaves: a browser
    following the redirect after login must find the new session row.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


DB = Annotated[Session, Depends(get_db, scope="function")]


def get_viewer(request: Request, db: DB) -> Viewer:
    found = session_user(db, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise LoginRequired()
    ws, user = found
    return Viewer(user=user, web_session=ws)


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


def get_admin(viewer: CurrentViewer) -> Viewer:
    if not viewer.is_admin:
        raise HTTPException(status_code=403, detail="administrators only")
    return viewer


AdminViewer = Annotated[Viewer, Depends(get_admin)]


async def csrf_viewer(request: Request, viewer: CurrentViewer) -> Viewer:
    """The viewer of a state-changing form post, after checking its CSRF token."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not secrets.compare_digest(token, viewer.csrf):
        raise HTTPException(status_code=403, detail="invalid or missing CSRF token")
    return viewer


PostingViewer = Annotated[Viewer, Depends(csrf_viewer)]


async def csrf_admin(viewer: PostingViewer) -> Viewer:
    if not viewer.is_admin:
        raise HTTPException(status_code=403, detail="administrators only")
    return viewer


PostingAdmin = Annotated[Viewer, Depends(csrf_admin)]


API_REFUSAL = {"detail": "API token required"}
API_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer_user(request: Request, db: Session) -> User | None:
    """The active user owning the request's bearer token, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token_user(db, token.strip()) if scheme.lower() == "bearer" else None


def api_user(request: Request, db: DB) -> User:
    """The user owning the bearer token; the API never accepts the session cookie."""
    user = bearer_user(request, db)
    if user is None:
        raise HTTPException(status_code=401, detail=API_REFUSAL["detail"], headers=API_CHALLENGE)
    return user


ApiUser = Annotated[User, Depends(api_user)]
