"""Accounts: argon2 hashes, lockout after failed logins, sessions, hashed API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.models import ApiToken, utcnow
from store.users import (
    MAX_FAILED_LOGINS,
    UserError,
    authenticate,
    create_api_token,
    create_user,
    end_user_sessions,
    session_user,
    start_session,
    token_user,
)


def test_password_and_lockout(engine: Engine) -> None:
    with Session(engine) as s:
        user = create_user(s, "rita", "correct horse", "reviewer")
        assert user.password_hash.startswith("$argon2id$") and "correct horse" not in user.password_hash
        with pytest.raises(UserError):
            create_user(s, "rita", "another password")
        with pytest.raises(UserError):
            create_user(s, "bob", "password1", "root")
        assert authenticate(s, "rita", "correct horse") is user
        assert authenticate(s, "nobody", "correct horse") is None
        for _ in range(MAX_FAILED_LOGINS):
            assert authenticate(s, "rita", "wrong") is None
        assert user.locked_until is not None
        assert authenticate(s, "rita", "correct horse") is None
        user.locked_until = utcnow() - timedelta(seconds=1)
        assert authenticate(s, "rita", "correct horse") is user


def test_sessions_and_tokens(engine: Engine) -> None:
    with Session(engine) as s:
        user = create_user(s, "adam", "admin password", "admin")
        ws = start_session(s, user)
        other = start_session(s, user)
        assert ws.id != other.id and len(ws.id) >= 40 and ws.csrf_token != other.csrf_token
        found = session_user(s, ws.id)
        assert found is not None and found[1] is user
        assert session_user(s, "x" * 65) is None and session_user(s, None) is None
        ws.expires_at = utcnow() - timedelta(seconds=1)
        assert session_user(s, ws.id) is None
        end_user_sessions(s, user.id or 0)
        assert session_user(s, other.id) is None
        row, clear = create_api_token(s, user, "crm")
        assert clear not in row.token_hash and isinstance(row, ApiToken)
        assert token_user(s, clear) is user and token_user(s, clear + "x") is None
        row.revoked = True
        assert token_user(s, clear) is None
        user.active = False
        assert session_user(s, start_session(s, user).id) is None
