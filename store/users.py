"""Staff accounts: argon2 password hashes, server-side sessions, hashed API tokens, login throttle.

Only random identifiers leave the server (session id in a cookie, API token once at creation);
the database keeps the session row and a SHA-256 of each token, so a leaked database grants nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, select

from store.models import ApiToken, User, WebSession, utcnow

ROLES = ("reviewer", "admin")
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12

_hasher = PasswordHasher()
# A fixed hash to verify against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    """An account operation was refused (bad role, duplicate name, empty password)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, name: str, password: str, role: str = "reviewer") -> User:
    """A new active account; the name is unique and the role one of ROLES."""
    name = name.strip()
    if not name or len(name) > 200:
        raise UserError("user name must be 1-200 characters")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise UserError("password must be at least 8 characters")
    if session.exec(select(User).where(User.name == name)).first():
        raise UserError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < 8:
        raise UserError("password must be at least 8 characters")
    user.password_hash = hash_password(password)
    session.add(user)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def is_locked(user: User, now: datetime | None = None) -> bool:
    until = _aware(user.locked_until)
    return until is not None and until > (now or utcnow())


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user when the password matches and the account is neither inactive nor locked.

    Failed attempts count per account; after MAX_FAILED_LOGINS the account locks for
    LOCK_MINUTES (the throttle), and a locked account is refused even with the right password.
    """
    user = session.exec(select(User).where(User.name == name.strip())).first()
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    if not user.active or is_locked(user):
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = utcnow() + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        session.add(user)
        return None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)
    return user


def start_session(session: Session, user: User, hours: int = SESSION_HOURS) -> WebSession:
    """A fresh random session id and CSRF token (never reusing an id the browser sent: no fixation)."""
    assert user.id is not None
    ws = WebSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(ws)
    session.flush()
    return ws


def session_user(session: Session, session_id: str | None) -> tuple[WebSession, User] | None:
    """The live session and its active user, or None when unknown, expired or deactivated."""
    if not session_id or len(session_id) > 64:
        return None
    ws = session.get(WebSession, session_id)
    if ws is None:
        return None
    expires = _aware(ws.expires_at)
    if expires is None or expires <= utcnow():
        session.delete(ws)
        return None
    user = session.get(User, ws.user_id)
    if user is None or not user.active:
        return None
    return ws, user


def end_session(session: Session, session_id: str | None) -> None:
    if session_id:
        ws = session.get(WebSession, session_id)
        if ws is not None:
            session.delete(ws)


def end_user_sessions(session: Session, user_id: int) -> None:
    """Log a user out everywhere (deactivation, password change)."""
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user_id))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token row and the clear token, which is shown once and never stored."""
    assert user.id is not None
    clear = "lt_" + secrets.token_urlsafe(32)
    row = ApiToken(name=name.strip()[:200] or "token", token_hash=_token_hash(clear), user_id=user.id)
    session.add(row)
    session.flush()
    return row, clear


def token_user(session: Session, token: str | None) -> User | None:
    """The active user owning a non-revoked token."""
    if not token or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None
