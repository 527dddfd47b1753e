"""Security of the review UI over HTTP: authentication everywhere, CSRF, inert hostile content,
safe downloads, no reach beyond a ticket's own messages, headers, login throttle, fixation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from store.models import AuditEvent, Ticket, User
from tests.triage.web.conftest import csrf_of
from tests.triage.web.seed import PASSWORDS

# guidelines: public by design; /readyz and /metrics: probes and scrapers carry no session (counts only)
PUBLIC = {"/login", "/healthz", "/readyz", "/metrics", "/static", "/guidelines", "/guidelines/{lang}"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every endpoint, also inside included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes, prefix + route.include_context.prefix)
        elif getattr(route, "methods", None):
            yield prefix + route.path, set(route.methods)


def test_every_route_needs_auth(app: FastAPI, anon: TestClient) -> None:
    checked = 0
    for path, methods in _routes(app.routes):
        if path in PUBLIC or path.startswith("/static"):
            continue
        for method in methods - {"HEAD", "OPTIONS"}:
            resp = anon.request(method, _concrete(path))
            if path.startswith("/api/"):
                assert resp.status_code == 401, (method, path, resp.status_code)
            else:
                assert resp.status_code in (303, 401, 403), (method, path, resp.status_code)
                if resp.status_code == 303:
                    assert resp.headers["location"] == "/login"
            checked += 1
    assert checked >= 20


def test_healthz_is_public(anon: TestClient) -> None:
    assert anon.get("/healthz").json() == {"status": "ok"}


def test_csrf_rejected(reviewer: tuple[TestClient, str], seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, token = reviewer
    tid = seeded["routine_gb"]
    assert client.post(f"/tickets/{tid}/status", data={"status": "closed"}).status_code == 403
    bad = client.post(f"/tickets/{tid}/status", data={"status": "closed", "csrf_token": "x" * 43})
    assert bad.status_code == 403
    with Session(engine) as s:
        assert s.get(Ticket, tid).status == "new"  # type: ignore[union-attr]
    ok = client.post(f"/tickets/{tid}/status", data={"status": "closed", "csrf_token": token})
    assert ok.status_code == 303
    with Session(engine) as s:
        assert s.get(Ticket, tid).status == "closed"  # type: ignore[union-attr]


def test_login_form_needs_its_csrf_cookie(anon: TestClient) -> None:
    resp = anon.post("/login", data={"username": "rita", "password": PASSWORDS["rita"], "csrf_token": "forged"})
    assert resp.status_code == 403
    assert "lt_session" not in resp.cookies


@pytest.mark.parametrize("path", ["/", "/tickets/{hostile}"])
def test_hostile_content_renders_inert(reviewer: tuple[TestClient, str], seeded: dict[str, int], path: str) -> None:
    client, _ = reviewer
    html = client.get(path.format(**seeded)).text
    assert "<script>alert" not in html
    assert "<img src=x onerror" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/static/app.js" defer>']
    assert not re.search(r"<[^>]+\son\w+=", html), "an event-handler attribute reached the page"


def test_sanitized_html_loads_nothing_remote(reviewer: tuple[TestClient, str], seeded: dict[str, int]) -> None:
    client, _ = reviewer
    html = client.get(f"/tickets/{seeded['hostile']}").text
    body = html.split('class="mailhtml">', 1)[1].split("</div>", 1)[0]
    assert "Please send data." in body
    assert "tracker.example" not in body and "<img" not in body
    assert "javascript:" not in body and "onclick" not in body and "style=" not in body


def test_attachment_download_is_an_attachment(reviewer: tuple[TestClient, str], seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, _ = reviewer
    page = client.get(f"/tickets/{seeded['hostile']}").text
    link = re.search(r'href="(/tickets/\d+/messages/\d+/attachments/0)"', page)
    assert link
    resp = client.get(link.group(1))
    assert resp.status_code == 200
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition.split("filename=")[1].split(";")[0] and "<" not in disposition
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["content-type"] == "application/octet-stream"
    assert b"alert('attachment')" in resp.content
    with Session(engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "attachment_downloaded")).first()


def test_crafted_ids_are_refused(reviewer: tuple[TestClient, str], seeded: dict[str, int]) -> None:
    client, _ = reviewer
    own = re.search(r"/tickets/(\d+)/messages/(\d+)/raw", client.get(f"/tickets/{seeded['hostile']}").text)
    assert own
    other_ticket = seeded["routine_gb"]
    message = own.group(2)
    assert client.get(f"/tickets/{other_ticket}/messages/{message}/raw").status_code == 404
    assert client.get(f"/tickets/{other_ticket}/messages/{message}/attachments/0").status_code == 404
    assert client.get(f"/tickets/{seeded['hostile']}/messages/{message}/attachments/7").status_code == 404
    for bad in ("/tickets/..%2F..%2Fetc%2Fpasswd", "/tickets/1%2F..%2F2", "/tickets/-1", "/tickets/99999",
                f"/tickets/{seeded['hostile']}/messages/{message}/attachments/-1",
                "/static/..%2F..%2Fsettings.py", "/static/../app.py"):  # fmt: skip
        resp = client.get(bad)
        assert resp.status_code in (404, 422), (bad, resp.status_code)
        assert "SECRET" not in resp.text and "def create_app" not in resp.text


def test_security_headers(reviewer: tuple[TestClient, str], anon: TestClient) -> None:
    client, _ = reviewer
    for resp in (client.get("/"), anon.get("/login")):
        csp = resp.headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]+)", csp)
        assert script_src and script_src.group(1).strip() == "'self'"
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["x-frame-options"] == "DENY"
        assert resp.headers["referrer-policy"] == "no-referrer"
        assert "<script>" not in resp.text  # no inline script anywhere


def test_session_cookie_flags(anon: TestClient) -> None:
    form = anon.get("/login")
    data = {"username": "rita", "password": PASSWORDS["rita"], "csrf_token": csrf_of(form.text)}
    resp = anon.post("/login", data=data)
    cookie = resp.headers["set-cookie"].lower()
    assert "lt_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_account_locks_after_failed_logins(app: FastAPI, engine) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, follow_redirects=False) as client:
        for _ in range(5):
            token = csrf_of(client.get("/login").text)
            resp = client.post("/login", data={"username": "rita", "password": "wrong-password", "csrf_token": token})
            assert resp.status_code == 401
        token = csrf_of(client.get("/login").text)
        resp = client.post("/login", data={"username": "rita", "password": PASSWORDS["rita"], "csrf_token": token})
        assert resp.status_code == 401, "a locked account must refuse even the right password"
    with Session(engine) as s:
        user = s.exec(select(User).where(User.name == "rita")).one()
        assert user.locked_until is not None


def test_client_throttle_after_many_failures(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False) as client:
        codes = []
        for i in range(11):
            token = csrf_of(client.get("/login").text)
            resp = client.post("/login", data={"username": f"nobody{i}", "password": "x", "csrf_token": token})
            codes.append(resp.status_code)
        assert codes[:10] == [401] * 10 and codes[10] == 429
        token = csrf_of(client.get("/login").text)
        resp = client.post("/login", data={"username": "adam", "password": PASSWORDS["adam"], "csrf_token": token})
        assert resp.status_code == 429


def _login_sid(client: TestClient, planted: str) -> str:
    """Log in while the browser presents ``planted``; the session id the server sets."""
    client.cookies.clear()
    client.cookies.set("lt_session", planted)
    token = csrf_of(client.get("/login").text)
    resp = client.post("/login", data={"username": "rita", "password": PASSWORDS["rita"], "csrf_token": token})
    assert resp.status_code == 303
    return resp.cookies["lt_session"]


def test_new_session_id_at_login(app: FastAPI) -> None:
    """A session id planted before login is never the one used after it."""
    with TestClient(app, follow_redirects=False) as client:
        first = _login_sid(client, "attacker-chosen-session-id")
        assert first != "attacker-chosen-session-id"
        second = _login_sid(client, first)
        assert second != first
    with TestClient(app, follow_redirects=False) as other:
        other.cookies.set("lt_session", first)
        assert other.get("/").status_code == 303, "the session replaced at the second login must be dead"
        other.cookies.clear()
        other.cookies.set("lt_session", second)
        assert other.get("/").status_code == 200


def test_logout_ends_the_session(reviewer: tuple[TestClient, str]) -> None:
    client, token = reviewer
    sid = client.cookies.get("lt_session")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    client.cookies.set("lt_session", sid or "")
    resp = client.get("/")
    assert resp.status_code == 303 and resp.headers["location"] == "/login"


def test_reviewer_is_not_admin(reviewer: tuple[TestClient, str]) -> None:
    client, token = reviewer
    assert client.get("/audit").status_code == 403
    assert client.get("/users").status_code == 403
    resp = client.post("/users", data={"name": "eve", "password": "password123", "role": "admin", "csrf_token": token})
    assert resp.status_code == 403
