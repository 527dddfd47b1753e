"""The JSON API: bearer tokens only, the queue's filters, updates validated and audited."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from store.models import AuditEvent, Ticket

Client = tuple[TestClient, str]


def _token(admin: Client, user_id: int = 1) -> str:
    client, csrf = admin
    html = client.post("/users/tokens", data={"name": "case system", "user_id": str(user_id), "csrf_token": csrf}).text
    found = re.search(r'<code id="new-token">([^<]+)</code>', html)
    assert found
    return found.group(1)


def test_api_refuses_without_token(admin: Client, anon: TestClient) -> None:
    client, _ = admin
    assert anon.get("/api/tickets").status_code == 401
    assert client.get("/api/tickets").status_code == 401, "the session cookie is not an API credential"
    assert anon.get("/api/tickets", headers={"Authorization": "Bearer lt_wrong"}).status_code == 401
    assert anon.get("/api/openapi.json").status_code == 401


def test_api_list_get_update(admin: Client, anon: TestClient, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {_token(admin)}"}
    page = anon.get("/api/tickets", headers=auth).json()
    assert page["total"] == 8 and page["items"][0]["emergency"] is True
    gb = anon.get("/api/tickets?country=GB&page_size=2", headers=auth).json()
    assert gb["total"] == 3 and len(gb["items"]) == 2 and {t["country"] for t in gb["items"]} == {"GB"}
    tid = seeded["routine_gb"]
    one = anon.get(f"/api/tickets/{tid}", headers=auth).json()
    assert one["fields"]["agency"]["evidence"][0]["text"] == "Metropolitan Police Service"
    assert anon.get("/api/tickets/424242", headers=auth).status_code == 404
    upd = anon.patch(f"/api/tickets/{tid}", headers=auth, json={"fields": {"agency": "MPS"}, "status": "in_review"})
    assert upd.status_code == 200
    body = upd.json()
    assert body["agency"] == "MPS" and body["status"] == "in_review"
    assert body["fields"]["agency"]["corrected"] is True
    bad = anon.patch(f"/api/tickets/{tid}", headers=auth, json={"fields": {"country": "ZZ", "agency": "X"}})
    assert bad.status_code == 422
    with Session(engine) as s:
        t = s.get(Ticket, tid)
        assert t is not None and t.agency == "MPS", "a refused update changes nothing"
        actors = {e.actor for e in s.exec(select(AuditEvent).where(AuditEvent.ticket_id == tid))}
        assert actors == {"rita (api)"}  # the token was issued to rita (user 1)


def test_revoked_token_is_refused(admin: Client, anon: TestClient) -> None:
    client, csrf = admin
    token = _token(admin)
    auth = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/tickets", headers=auth).status_code == 200
    tid = re.search(r'/users/tokens/(\d+)/revoke', client.get("/users").text)
    assert tid
    client.post(f"/users/tokens/{tid.group(1)}/revoke", data={"csrf_token": csrf})
    assert anon.get("/api/tickets", headers=auth).status_code == 401


def test_openapi_documents_the_ticket_api(admin: Client) -> None:
    client, _ = admin
    spec = client.get("/api/openapi.json").json()
    assert {"/api/tickets", "/api/tickets/{ticket_id}"} <= set(spec["paths"])
    assert "patch" in spec["paths"]["/api/tickets/{ticket_id}"]
    html = client.get("/api/docs").text
    assert "/api/tickets/{ticket_id}" in html and "TicketUpdate" in html and "<script>" not in html
