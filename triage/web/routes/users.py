"""Administration of staff accounts and API tokens (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from store.audit import record
from store.models import ApiToken, User
from store.users import ROLES, UserError, create_api_token, create_user, end_user_sessions
from triage.web.deps import DB, AdminViewer, PostingAdmin, Viewer
from triage.web.render import page

router = APIRouter(prefix="/users")
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _render(
    request: Request, db: Session, viewer: Viewer, *, error: str | None = None, new_token: str | None = None
) -> Response:
    users = list(db.exec(select(User).order_by(col(User.name))))
    tokens = list(db.exec(select(ApiToken).order_by(col(ApiToken.id).desc())))
    names = {u.id: u.name for u in users}
    return page(
        request,
        "users.html",
        {
            "viewer": viewer,
            "users": users,
            "tokens": tokens,
            "names": names,
            "roles": ROLES,
            "error": error,
            "new_token": new_token,
        },
        status_code=422 if error else 200,
    )


@router.get("", include_in_schema=False)
def users_page(request: Request, db: DB, viewer: AdminViewer) -> Response:
    return _render(request, db, viewer)


@router.post("", include_in_schema=False)
def add_user(
    request: Request,
    db: DB,
    viewer: PostingAdmin,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[str, Form(max_length=20)] = "reviewer",
) -> Response:
    try:
        user = create_user(db, name, password, role)
    except UserError as exc:
        db.rollback()
        return _render(request, db, viewer, error=str(exc))
    record(db, "user_created", actor=viewer.name, field="user", new={"name": user.name, "role": user.role})
    return RedirectResponse("/users", status_code=303)


@router.post("/{user_id}/active", include_in_schema=False)
def set_active(db: DB, viewer: PostingAdmin, user_id: Id, active: Annotated[str, Form(max_length=5)] = "0") -> Response:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="no such user")
    if user.id == viewer.user.id:
        raise HTTPException(status_code=400, detail="you cannot deactivate yourself")
    new = active == "1"
    if user.active != new:
        record(db, "user_active", actor=viewer.name, field=user.name, old=user.active, new=new)
        user.active = new
        db.add(user)
        if not new:
            end_user_sessions(db, user_id)
    return RedirectResponse("/users", status_code=303)


@router.post("/tokens", include_in_schema=False)
def add_token(
    request: Request,
    db: DB,
    viewer: PostingAdmin,
    name: Annotated[str, Form(max_length=200)],
    user_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    user = db.get(User, user_id)
    if user is None or not user.active:
        return _render(request, db, viewer, error="no such active user")
    row, clear = create_api_token(db, user, name)
    record(db, "api_token_created", actor=viewer.name, field=row.name, new={"user": user.name, "token_id": row.id})
    return _render(request, db, viewer, new_token=clear)


@router.post("/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(db: DB, viewer: PostingAdmin, token_id: Id) -> Response:
    row = db.get(ApiToken, token_id)
    if row is None:
        raise HTTPException(status_code=404, detail="no such token")
    if not row.revoked:
        row.revoked = True
        db.add(row)
        record(db, "api_token_revoked", actor=viewer.name, field=row.name, new={"token_id": row.id})
    return RedirectResponse("/users", status_code=303)
